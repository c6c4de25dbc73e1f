"""The book's two directives of our own: `{quiz}` and `{study-time}`.

Both render what `course/quiz.py` and `course/study_time.py` compute, so the page shows
exactly what the lecture lint checked. The quiz works offline with no server: its
answers and explanations are in the page; a small script (`static/ag-quiz.js`) checks a
choice or a number and shows the explanation, and each question's "Show the answer"
is a plain `<details>` that works without any script at all.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import jupytext
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from autograder.course.quiz import ChoiceQuestion, NumericQuestion, QuizError, parse_quiz
from autograder.course.study_time import (
    CODE_LINES_PER_MINUTE,
    MINUTES_PER_EXERCISE,
    MINUTES_PER_QUESTION,
    WORDS_PER_MINUTE,
    StudyTime,
    duration,
    estimate,
)

LECTURE_GLOB = "[0-9][0-9]-*.md"


def _raw(markup: str) -> nodes.raw:
    return nodes.raw("", markup, format="html")


class QuizDirective(SphinxDirective):
    """A self-assessment quiz; the body is the YAML that `course.quiz` reads."""

    has_content = True

    def _inline(self, text: str) -> list[nodes.Node]:
        """Text parsed as MyST (maths, code, emphasis); a lone paragraph is unwrapped so
        that an answer sits inline beside its radio button."""
        holder = nodes.Element()
        self.state.nested_parse(StringList(text.splitlines()), self.content_offset, holder)
        children = list(holder.children)
        if len(children) == 1 and isinstance(children[0], nodes.paragraph):
            return list(children[0].children)
        return children

    def _block(
        self, css: str, text: str, tag: str = "div", attributes: str = ""
    ) -> list[nodes.Node]:
        return [_raw(f'<{tag} class="{css}"{attributes}>'), *self._inline(text), _raw(f"</{tag}>")]

    def run(self) -> list[nodes.Node]:
        try:
            quiz = parse_quiz("\n".join(self.content))
        except QuizError as error:
            raise self.error(f"quiz: {error}") from None
        serial = self.env.new_serialno("ag-quiz")
        page = html.escape(self.env.docname.replace("/", "-"), quote=True)
        out: list[nodes.Node] = [
            _raw('<section class="ag-quiz" aria-label="Self-assessment quiz">')
        ]
        for number, question in enumerate(quiz.questions, 1):
            ident = f"ag-quiz-{page}-{serial}-{number}"
            out.append(_raw(f'<div class="ag-q" id="{ident}">'))
            out += self._block("ag-q-text", f"**{number}.** {question.text}")
            if isinstance(question, ChoiceQuestion):
                out.append(_raw('<fieldset class="ag-choices">'))
                out.append(_raw(f'<legend class="ag-hidden">Answers to question {number}</legend>'))
                for index, choice in enumerate(question.choices):
                    option = f"{ident}-{index}"
                    correct = "true" if choice.correct else "false"
                    out.append(
                        _raw(
                            f'<div class="ag-choice"><input type="radio" name="{ident}" '
                            f'id="{option}" value="{index}"><label for="{option}">'
                        )
                    )
                    out += self._inline(choice.text)
                    out.append(_raw("</label></div>"))
                    out += self._block(
                        "ag-why",
                        choice.why,
                        attributes=f' data-for="{index}" data-correct="{correct}" hidden',
                    )
                out.append(_raw("</fieldset>"))
                keyed, why = question.keyed.text, question.keyed.why
            else:
                assert isinstance(question, NumericQuestion)
                unit = f" {html.escape(question.unit)}" if question.unit else ""
                data = html.escape(json.dumps([question.answer, question.tolerance]), quote=True)
                out.append(
                    _raw(
                        f'<div class="ag-numeric"><label for="{ident}-in">Your answer</label> '
                        f'<input type="text" inputmode="decimal" id="{ident}-in" data-key="{data}">'
                        f"{unit}</div>"
                    )
                )
                number_text = f"{question.answer:g}"
                keyed = number_text + (f" (± {question.tolerance:g})" if question.tolerance else "")
                keyed += f" {question.unit}" if question.unit else ""
                why = question.why
                out += self._block("ag-why", why, attributes=' data-for="numeric" hidden')
            out.append(
                _raw(
                    '<button type="button" class="ag-check">Check</button>'
                    '<p class="ag-verdict" aria-live="polite"></p>'
                    '<details class="ag-answer"><summary>Show the answer</summary>'
                )
            )
            out += self._block("ag-keyed", keyed)
            out += self._block("ag-keyed-why", why)
            out.append(_raw("</details></div>"))
        out.append(_raw("</section>"))
        return out


def _describe(time: StudyTime) -> str:
    parts = [
        f"reading {time.words:,} words, {duration(time.reading)}",
        f"reading and running {time.code_lines} lines of code, {duration(time.code)}",
    ]
    if time.exercises:
        plural = "s" if time.exercises != 1 else ""
        parts.append(
            f"{time.exercises} exercise{plural}, {duration(time.exercises * MINUTES_PER_EXERCISE)}"
        )
    if time.questions:
        quiz = duration(time.questions * MINUTES_PER_QUESTION)
        parts.append(f"a quiz of {time.questions} questions, {quiz}")
    return "; ".join(parts)


RATES = (
    f"Counted from the page itself at {WORDS_PER_MINUTE} words a minute, "
    f"{CODE_LINES_PER_MINUTE} lines of code a minute, {MINUTES_PER_EXERCISE} minutes an "
    f"exercise and {MINUTES_PER_QUESTION} minutes a quiz question."
)


class StudyTimeDirective(SphinxDirective):
    """How long this lecture takes; with the argument `course`, on a course's start page,
    the sum over the course's lectures (the `NN-*.md` pages beside it)."""

    optional_arguments = 1

    def run(self) -> list[nodes.Node]:
        here = Path(self.env.doc2path(self.env.docname))
        box = nodes.admonition(classes=["ag-study-time", "note"])
        box += nodes.title(text="Study time")
        if self.arguments and self.arguments[0] == "course":
            lectures = sorted(here.parent.glob(LECTURE_GLOB))
            if not lectures:
                raise self.error(f"study-time course: no lecture pages beside {here.name}")
            times = []
            for lecture in lectures:
                self.env.note_dependency(str(lecture))
                times.append(estimate(jupytext.read(lecture)))
            total = times[0]
            for time in times[1:]:
                total = total + time
            shortest, longest = min(t.minutes for t in times), max(t.minutes for t in times)
            text = (
                f"The {len(times)} lectures take about {duration(sum(t.minutes for t in times))} "
                f"in all, from {duration(shortest)} to {duration(longest)} each "
                f"({_describe(total)}). {RATES}"
            )
        elif self.arguments:
            raise self.error(f"study-time takes no argument or 'course', got {self.arguments[0]!r}")
        else:
            time = estimate(jupytext.read(here))
            text = f"About {duration(time.minutes)}: {_describe(time)}. {RATES}"
        box += nodes.paragraph(text=text)
        return [box]
