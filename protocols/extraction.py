"""The protocol's ``[extraction]`` and ``[appraisal]`` sections: what is extracted from each include, and who rates.

An extraction field is typed: ``choice`` (one of ``choices``), ``multi`` (any of ``choices``), ``text`` or
``number``. The definitions are stored with every set of values (store.extraction), so a protocol whose fields
later change still reads the values written under the old definitions. Validation is here, once: the web form,
the baseline loader and the store all call :meth:`ExtractionField.check`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FIELD_TYPES = ("choice", "multi", "text", "number")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExtractionField(_Strict):
    """One variable extracted from every included study."""

    label: str = Field(min_length=1)
    type: Literal["choice", "multi", "text", "number"]
    choices: list[str] = Field(default_factory=list)
    help: str | None = None
    #: the variable of the paper this field belongs to (e.g. "Publication details"); groups the form
    group: str | None = None
    required: bool = False

    @model_validator(mode="after")
    def _choices_fit_type(self) -> ExtractionField:
        if self.type in ("choice", "multi"):
            if not self.choices:
                raise ValueError(f"a {self.type} field needs choices")
            if len({c.casefold() for c in self.choices}) != len(self.choices):
                raise ValueError("choices must be unique")
            if any(not c.strip() for c in self.choices):
                raise ValueError("a choice is empty")
        elif self.choices:
            raise ValueError(f"a {self.type} field takes no choices")
        return self

    def check(self, name: str, value: Any) -> Any:
        """The value in its stored form (str, list[str], float or None); ValueError naming the field otherwise."""
        if value is None or value == "" or value == []:
            if self.required:
                raise ValueError(f"{name}: a value is required")
            return [] if self.type == "multi" else None
        if self.type == "choice":
            if not isinstance(value, str) or value not in self.choices:
                raise ValueError(f"{name}: {value!r} is not one of its choices ({', '.join(self.choices)})")
            return value
        if self.type == "multi":
            items = [value] if isinstance(value, str) else list(value)
            bad = [v for v in items if v not in self.choices]
            if bad:
                raise ValueError(f"{name}: {bad[0]!r} is not one of its choices ({', '.join(self.choices)})")
            return [c for c in self.choices if c in items]   # the protocol's order, no repeats
        if self.type == "number":
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"{name}: {value!r} is not a number") from None
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError(f"{name}: {value!r} is not a number")
            return int(number) if number.is_integer() else number
        if not isinstance(value, str):
            raise ValueError(f"{name}: expected text")
        return value.strip() or None


class Extraction(_Strict):
    """``[extraction]``: the fields (in form order) and who extracts; empty ``extractors`` = any reviewer."""

    fields: dict[str, ExtractionField] = Field(min_length=1)
    #: a CSV beside the protocol file with the published review's rows (seed_id, provenance, one column a field)
    baseline: str | None = None
    extractors: list[str] = Field(default_factory=list)
    checkers: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names(self) -> Extraction:
        import re

        for name in self.fields:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise ValueError(f"field name {name!r}: lower-case letters, digits and underscores")
            if name in ("work_id", "provenance", "review_version", "reconciled_by", "note"):
                raise ValueError(f"field name {name!r} is reserved")
        return self

    def definitions(self) -> dict[str, dict[str, Any]]:
        """The field definitions as plain data, stored beside every set of values."""
        return {name: f.model_dump(exclude_none=True) for name, f in self.fields.items()}

    def check(self, values: dict[str, Any]) -> dict[str, Any]:
        """Every field's value checked (missing ones empty); unknown names refused. ValueError on the first."""
        unknown = [k for k in values if k not in self.fields]
        if unknown:
            raise ValueError(f"{unknown[0]}: not an extraction field of this protocol")
        return {name: f.check(name, values.get(name)) for name, f in self.fields.items()}


class Appraisal(_Strict):
    """``[appraisal]``: QATSDD (the only tool so far), who rates, and who may resolve as the third reviewer.

    Empty ``raters`` = any reviewer may be one of a study's two raters; ``not_appraised`` lists the values of the
    extraction's publication-type field the tool does not fit (books, chapters, technique articles ...).
    """

    tool: Literal["QATSDD"] = "QATSDD"
    raters: list[str] = Field(default_factory=list)
    third_reviewers: list[str] = Field(default_factory=list)
    publication_type_field: str = "publication_type"
    design_field: str = "methodology"
    not_appraised: list[str] = Field(default_factory=list)


def field_from_definition(definition: dict[str, Any]) -> ExtractionField:
    """A stored definition (from an older protocol) as a field again, to read or re-check its values."""
    return ExtractionField.model_validate(definition)
