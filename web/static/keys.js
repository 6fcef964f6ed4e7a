// Keyboard screening: i include, m maybe, e + digit exclude with reason, r report not retrieved (full text),
// c change my decision, n note, u undo (my vote here, else my last vote: any page), j/k next/previous, ? help,
// / the search box (record lists, search, queue).
// Nothing is ever recorded by default: Enter records only a decision the reviewer armed (e), else nothing.
// No inline scripts (the Content-Security-Policy forbids them): everything hangs off ids and data attributes.
(function () {
  "use strict";
  var pendingExclude = false;

  function typing(ev) {
    var t = ev.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }
  function submitWith(form, name, value) {
    var btn = form.querySelector('button[name="' + name + '"][value="' + value + '"]');
    if (btn) { form.requestSubmit(btn); return true; }
    return false;
  }
  function go(id) {
    var a = document.getElementById(id);
    if (a) { window.location.href = a.href; }
  }
  function help() {
    var d = document.getElementById("help");
    if (d && !d.open) { d.showModal(); }
  }
  function reasons(on) {
    pendingExclude = on;
    var fs = document.getElementById("reasons");
    if (fs) { fs.classList.toggle("armed", on); }
  }

  // the "Recorded: … — undo (u)" note fades after a few seconds (u still works: it undoes the last vote)
  var flash = document.getElementById("flash");
  if (flash) { window.setTimeout(function () { flash.hidden = true; }, 8000); }

  // queue page: a moving selection over the rows
  var selected = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#queue-list .work-row, #record-list .work-row")); }
  function select(i) {
    var r = rows();
    if (!r.length) { return; }
    selected = Math.max(0, Math.min(r.length - 1, i));
    r.forEach(function (row, n) { row.classList.toggle("selected", n === selected); });
    r[selected].scrollIntoView({block: "nearest"});
    r[selected].querySelector("a.title").focus();
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var key = ev.key;
    var form = document.getElementById("decide");
    if (typing(ev)) {
      // the note field: Enter submits the armed decision (exclude without a reason at title/abstract), or nothing
      if (key === "Enter" && form && ev.target.form === form) {
        ev.preventDefault();
        var armed = pendingExclude && form.querySelector('button.reason[data-digit="0"]');
        if (armed) { reasons(false); form.requestSubmit(armed); }
      } else if (key === "Escape") {
        ev.target.blur();
      }
      return;
    }
    if (key === "?") { ev.preventDefault(); help(); return; }
    if (key === "/") {  // the search box of a list or of the search page
      var box = document.querySelector('input[type="search"][name="q"]');
      if (box) { ev.preventDefault(); box.focus(); box.select(); }
      return;
    }
    if (pendingExclude && form) {
      if (/^[0-9]$/.test(key)) {
        var b = form.querySelector('button.reason[data-digit="' + key + '"]');
        if (b) { ev.preventDefault(); reasons(false); form.requestSubmit(b); }
        return;
      }
      if (key === "Enter") {
        var none = form.querySelector('button.reason[data-digit="0"]');
        if (none) { ev.preventDefault(); reasons(false); form.requestSubmit(none); }
        return;
      }
      if (key === "Escape") { reasons(false); return; }
    }
    if (key === "u") {  // my vote on this record if I have one here, else my last vote wherever it was
      var stage = (document.getElementById("screening") || {dataset: {}}).dataset.stage;
      var undo = (stage && document.getElementById("undo-" + stage)) || document.getElementById("undo-last");
      if (undo) { ev.preventDefault(); undo.requestSubmit(); }
      return;
    }
    if (rows().length) {  // the queue, a record list, search results
      if (key === "j") { ev.preventDefault(); select(selected + 1); return; }
      if (key === "k") { ev.preventDefault(); select(selected - 1); return; }
      // Enter opens the selected row, unless the focus is on something Enter works itself (an abstract's toggle,
      // a button, a link: the row's own title link opens the same record)
      var own = document.activeElement && /^(SUMMARY|BUTTON|A)$/.test(document.activeElement.tagName);
      if (key === "Enter" && selected >= 0 && !own) {
        ev.preventDefault(); window.location.href = rows()[selected].dataset.href;
      }
      return;
    }
    if (key === "j") { go("next"); return; }
    if (key === "k") { go("prev"); return; }
    if (key === "c") { go("change"); return; }
    if (!form) {  // a record I decided: a vote key records nothing, and says why
      var decided = document.getElementById("decided");
      if (decided && /^[imer]$/.test(key)) { decided.classList.add("armed"); decided.setAttribute("data-hint", "1");
        var hint = document.getElementById("decided-hint"); if (hint) { hint.hidden = false; } }
      return;
    }
    if (key === "i") { ev.preventDefault(); submitWith(form, "decision", "include"); }
    else if (key === "m") { ev.preventDefault(); submitWith(form, "decision", "maybe"); }
    else if (key === "r") { ev.preventDefault(); submitWith(form, "decision", "not-retrieved"); }
    else if (key === "e") { ev.preventDefault(); reasons(true); }
    else if (key === "n") { var note = document.getElementById("note"); if (note) { ev.preventDefault(); note.focus(); } }
  });
})();
