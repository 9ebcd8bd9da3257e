// The deals board: drag a card onto another open stage's column to move
// it. The drop clicks the card's own button for that stage, so a move by
// dragging is the same form post as one by the button (and without script
// the buttons work alone).
document.addEventListener("DOMContentLoaded", () => {
  let dragged = null;
  for (const card of document.querySelectorAll(".board li.deal[draggable=true]")) {
    card.addEventListener("dragstart", (e) => {
      dragged = card;
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", card.dataset.testid || "");
    });
    card.addEventListener("dragend", () => { dragged = null; });
  }
  for (const col of document.querySelectorAll(".board .column[data-stage]")) {
    const button = () => dragged && dragged.querySelector(`form[data-move] button[value="${CSS.escape(col.dataset.stage)}"]`);
    col.addEventListener("dragover", (e) => {
      if (button()) { e.preventDefault(); col.classList.add("over"); }
    });
    col.addEventListener("dragleave", () => col.classList.remove("over"));
    col.addEventListener("drop", (e) => {
      col.classList.remove("over");
      const b = button();
      if (b) { e.preventDefault(); b.click(); }
    });
  }
});
