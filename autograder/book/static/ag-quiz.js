// Self-assessment quizzes (autograder/book/directives.py): check a choice or a number
// and show the explanation. Offline; the answers are in the page by design.
document.addEventListener("click", (event) => {
  const button = event.target.closest(".ag-quiz .ag-check");
  if (!button) return;
  const question = button.closest(".ag-q");
  const verdict = question.querySelector(".ag-verdict");
  const whys = question.querySelectorAll(".ag-why");
  whys.forEach((why) => { why.hidden = true; });
  let shown = null;
  let right = false;
  const input = question.querySelector(".ag-numeric input");
  if (input) {
    const [answer, tolerance] = JSON.parse(input.dataset.key);
    const value = Number(input.value.trim().replace(",", ".").replace(/\s/g, ""));
    if (input.value.trim() === "" || Number.isNaN(value)) {
      verdict.textContent = "Type a number first.";
      verdict.className = "ag-verdict";
      return;
    }
    right = Math.abs(value - answer) <= tolerance + 1e-9 * Math.max(1, Math.abs(answer));
    shown = question.querySelector('.ag-why[data-for="numeric"]');
  } else {
    const chosen = question.querySelector("input[type=radio]:checked");
    if (!chosen) {
      verdict.textContent = "Choose an answer first.";
      verdict.className = "ag-verdict";
      return;
    }
    shown = question.querySelector(`.ag-why[data-for="${chosen.value}"]`);
    right = shown.dataset.correct === "true";
  }
  verdict.textContent = right ? "Correct." : "Not quite.";
  verdict.className = "ag-verdict " + (right ? "ag-right" : "ag-wrong");
  if (shown && (right || !input)) shown.hidden = false;
});
