// People in the loop, by keyboard: t puts a tag on the record (focuses the tag menu), w writes a comment.
// In the comment box, Ctrl+Enter (or Cmd+Enter) posts it and Esc leaves it. No inline scripts (strict CSP).
(function () {
  "use strict";
  function typing(ev) {
    var t = ev.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }
  document.addEventListener("keydown", function (ev) {
    var box = document.getElementById("comment-body");
    if (box && ev.target === box && ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      box.form.requestSubmit();
      return;
    }
    if (ev.target && ev.target.id === "tag-select" && ev.key === "Enter") {  // Enter on the menu puts the tag on
      ev.preventDefault();
      ev.target.form.requestSubmit();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev)) { return; }
    if (ev.key === "t") {
      var sel = document.getElementById("tag-select");
      if (sel) { ev.preventDefault(); sel.focus(); }
    } else if (ev.key === "w") {
      if (box) { ev.preventDefault(); box.focus(); }
    }
  });
})();
