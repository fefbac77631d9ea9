// Printing opens every closed <details> section (CSS cannot), and closes them again afterwards,
// so a printed dossier has the text of every section, not only their headings.
addEventListener("beforeprint", () => {
  document.querySelectorAll("details:not([open])").forEach((d) => {
    d.dataset.openedForPrint = "yes";
    d.open = true;
  });
});
addEventListener("afterprint", () => {
  document.querySelectorAll("details[data-opened-for-print]").forEach((d) => {
    d.open = false;
    delete d.dataset.openedForPrint;
  });
});
