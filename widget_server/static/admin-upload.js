/* File inputs with a preview: the chosen picture shows before it is saved. The form works
   without it (the file is uploaded either way); this only shows what was picked. */
(function () {
  "use strict";
  document.querySelectorAll("[data-preview-for]").forEach(function (box) {
    var input = document.getElementById(box.getAttribute("data-preview-for"));
    if (!input || !window.FileReader) return;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file || !/^image\//.test(file.type)) return;
      var reader = new FileReader();
      reader.onload = function () {
        var img = document.createElement("img");
        img.src = String(reader.result);  // a data: URL, which the page's CSP allows for images
        img.alt = "The picture you chose (not saved yet)";
        box.replaceChildren(img);
      };
      reader.readAsDataURL(file);
    });
  });
})();
