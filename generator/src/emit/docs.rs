//! Spec text made into doc lines that rustc and rustdoc accept as they are:
//! line endings normalised (rustc refuses a carriage return inside a
//! comment), and code blocks marked as text, since rustdoc would compile and
//! run a description's fenced or indented example as a Rust doctest.
//! Brackets, angle brackets and bare URLs are left to the `rustdoc::` lint
//! allowances at the top of every generated module.

/// Doc lines with a leading space, as `///` writes them.
pub(crate) fn doc_lines(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut lines = Lines::default();
    for line in text.trim().lines() {
        lines.push(line.trim_end());
    }
    lines.finish()
}

/// Doc lines being collected, with the code block they are in.
#[derive(Default)]
struct Lines {
    out: Vec<String>,
    /// The fence (` ``` ` or `~~~`) of an open fenced block.
    fence: Option<&'static str>,
    /// Whether an indented block, now fenced as text, is open.
    indented: bool,
    /// Whether the last line was blank (an indented block may start).
    after_blank: bool,
}

impl Lines {
    fn push(&mut self, line: &str) {
        let content = line.trim_start();
        if let Some(fence) = self.fence {
            if content.starts_with(fence) {
                self.fence = None;
            }
            self.emit(line);
            return;
        }
        let opening = ["```", "~~~"]
            .into_iter()
            .find(|fence| content.starts_with(fence));
        if let Some(fence) = opening {
            self.close_indented();
            self.fence = Some(fence);
            let indent = &line[..line.len() - content.len()];
            self.emit(&format!("{indent}{fence}text"));
            self.after_blank = false;
            return;
        }
        let indented = (line.starts_with("    ") || line.starts_with('\t')) && !content.is_empty();
        if indented && (self.indented || self.after_blank) {
            if !self.indented {
                self.emit("```text");
                self.indented = true;
            }
            self.emit(content);
        } else {
            self.close_indented();
            self.emit(line);
        }
        self.after_blank = content.is_empty();
    }

    fn close_indented(&mut self) {
        if self.indented {
            self.emit("```");
            self.indented = false;
        }
    }

    fn emit(&mut self, line: &str) {
        self.out.push(if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        });
    }

    fn finish(mut self) -> Vec<String> {
        self.close_indented();
        if let Some(fence) = self.fence {
            self.emit(fence);
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carriage_returns_end_lines() {
        assert_eq!(doc_lines("a\rb\r\nc\n"), [" a", " b", " c"]);
    }

    #[test]
    fn code_blocks_become_text_blocks() {
        let text = "Example:\n\n```json\n{\"a\": 1}\n```\n\nIndented:\n\n    curl -X POST\n    -d x\n\nAfter.\n~~~\nopen";
        assert_eq!(
            doc_lines(text),
            [
                " Example:",
                "",
                " ```text",
                " {\"a\": 1}",
                " ```",
                "",
                " Indented:",
                "",
                " ```text",
                " curl -X POST",
                " -d x",
                " ```",
                "",
                " After.",
                " ~~~text",
                " open",
                " ~~~",
            ]
        );
    }

    #[test]
    fn an_indented_line_inside_a_paragraph_is_not_code() {
        assert_eq!(doc_lines("one\n    two"), [" one", "     two"]);
    }
}
