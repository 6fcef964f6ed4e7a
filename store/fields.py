"""Field groups of a work, defined once: which are identifiers, which a later record may fill in."""

ID_FIELDS = ("doi", "pmid", "pmcid", "openalex_id")
#: scalar fields filled from a later record when the work lacks them (never overwritten)
FILLABLE = ("title", "abstract", "year", "journal", "volume", "issue", "pages", "language", "url")
#: list fields a later record extends
LIST_FIELDS = ("authors", "issn", "publication_types", "keywords")
