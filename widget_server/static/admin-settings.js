/* The settings page's colour picker: a native <input type="color"> kept in step with the
   text field next to it. Without JavaScript the text field alone does the job. */
(function () {
  "use strict";
  var pattern = /^#[0-9a-fA-F]{6}$/;
  document.querySelectorAll("input[data-color-for]").forEach(function (picker) {
    var text = document.getElementById(picker.getAttribute("data-color-for"));
    if (!text) return;
    picker.hidden = false;
    picker.addEventListener("input", function () { text.value = picker.value; });
    text.addEventListener("input", function () {
      if (pattern.test(text.value.trim())) picker.value = text.value.trim().toLowerCase();
    });
  });
})();
