// QATSDD form: in an item, 0-3 score it and move focus to the next item's choice; items the chosen design does not
// use are dimmed and skipped (the server ignores their scores). No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  function items(form) { return Array.prototype.slice.call(form.querySelectorAll("fieldset.item")); }
  function applies(fs, design) {
    var a = fs.getAttribute("data-applies");
    return !design || design === "mixed" || a === "both" || a === design;
  }
  function refresh(form) {
    var sel = form.querySelector("select[data-design]");
    var design = sel ? sel.value : "";
    items(form).forEach(function (fs) {
      var on = applies(fs, design);
      fs.classList.toggle("not-applicable", !on);
      fs.querySelectorAll("input").forEach(function (i) { i.disabled = !on; });
    });
  }
  function focusItem(fs) {
    var r = fs.querySelector("input:checked") || fs.querySelector("input");
    if (r) { r.focus(); }
  }
  document.querySelectorAll("form.appraise").forEach(function (form) {
    refresh(form);
    var sel = form.querySelector("select[data-design]");
    if (sel) { sel.addEventListener("change", function () { refresh(form); }); }
    form.addEventListener("keydown", function (ev) {
      if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
      var fs = ev.target.closest && ev.target.closest("fieldset.item");
      if (!fs || !/^[0-3]$/.test(ev.key)) { return; }
      ev.preventDefault();
      var radio = fs.querySelector('input[value="' + ev.key + '"]');
      if (radio) { radio.checked = true; }
      var all = items(form).filter(function (f) { return !f.classList.contains("not-applicable"); });
      var next = all[all.indexOf(fs) + 1];
      if (next) { focusItem(next); } else {
        var btn = form.querySelector('button[type="submit"]');
        if (btn) { btn.focus(); }
      }
    });
  });
}());
