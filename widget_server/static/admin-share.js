/* Dashboard copy buttons (and, on the share page, live snippets). The pages work without
   it: the text sits in read-only fields; this only adds "Copy" and skips a form submit. */
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value).then(function () {
        var label = button.textContent;
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = label; }, 1500);
      });
    });
  });
})();
/* The share page's options: apply a change at once instead of waiting for "Update". */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosubmit]");
  if (!form) return;
  form.addEventListener("change", function () { form.submit(); });
})();
