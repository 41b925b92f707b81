//! An operation's URL template, split into literal text and placeholders
//! once, when the operation's `static` is built (by a `const fn`), so that a
//! call fills the placeholders in without scanning the template byte by byte.

use std::fmt;

/// Placeholders a split template holds; the rare template with more is
/// scanned at each call instead.
const MAX_PLACEHOLDERS: usize = 8;

// The count is kept in a `u8`.
const _: () = assert!(MAX_PLACEHOLDERS <= u8::MAX as usize);

/// A URL template such as `/users/{id}/files/{name}`, with the place of each
/// `{name}` found in advance.
#[derive(Clone, Copy)]
pub(crate) struct PathTemplate {
    text: &'static str,
    /// Each placeholder's `{` and the byte after its `}`, in template order.
    placeholders: [(u16, u16); MAX_PLACEHOLDERS],
    /// How many of `placeholders` are in use; `None` when the template was
    /// left whole, to be scanned at each call: it holds a `?` or `#` outside
    /// its placeholders (a query or fragment, rare in templates), has more
    /// placeholders than fit, or is too long for the offsets.
    count: Option<u8>,
}

impl PathTemplate {
    /// Splits `text` at its placeholders. A `{` without a later `}` is
    /// literal text.
    pub(crate) const fn split(text: &'static str) -> Self {
        let mut template = Self {
            text,
            placeholders: [(0, 0); MAX_PLACEHOLDERS],
            count: None,
        };
        let bytes = text.as_bytes();
        if bytes.len() > u16::MAX as usize {
            return template;
        }
        let mut count = 0;
        let mut at = 0;
        // Once a `{` has no `}` after it, no later one has: they are all
        // literal, and the split stays linear in the template's length.
        let mut closable = true;
        while at < bytes.len() {
            match bytes[at] {
                b'{' if closable => {
                    let mut close = at + 1;
                    while close < bytes.len() && bytes[close] != b'}' {
                        close += 1;
                    }
                    if close == bytes.len() {
                        closable = false;
                        at += 1;
                        continue;
                    }
                    if count == MAX_PLACEHOLDERS {
                        return template;
                    }
                    // Both fit: the template is at most `u16::MAX` long.
                    template.placeholders[count] = (at as u16, (close + 1) as u16);
                    count += 1;
                    at = close + 1;
                }
                b'?' | b'#' => return template,
                _ => at += 1,
            }
        }
        template.count = Some(count as u8);
        template
    }

    /// The template as written.
    pub(crate) const fn text(&self) -> &'static str {
        self.text
    }

    /// Appends the template to `out`, `fill_in` writing the value of each
    /// placeholder, given its name. `None` when the template was left whole,
    /// to be scanned instead.
    pub(crate) fn fill<E>(
        &self,
        out: &mut String,
        mut fill_in: impl FnMut(&mut String, &'static str) -> Result<(), E>,
    ) -> Option<Result<(), E>> {
        let text = self.text;
        let mut literal = 0;
        for &(open, close) in self.placeholders()? {
            // `split` found these offsets in this very text, at an ASCII `{`
            // and just after an ASCII `}`: always character boundaries.
            let (open, close) = (usize::from(open), usize::from(close));
            out.push_str(&text[literal..open]);
            if let Err(error) = fill_in(out, &text[open + 1..close - 1]) {
                return Some(Err(error));
            }
            literal = close;
        }
        out.push_str(&text[literal..]);
        Some(Ok(()))
    }

    /// Where each placeholder starts (its `{`) and ends (after its `}`), or
    /// `None` when the template is scanned at each call.
    fn placeholders(&self) -> Option<&[(u16, u16)]> {
        let count = usize::from(self.count?);
        self.placeholders.get(..count)
    }
}

impl fmt::Debug for PathTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PathTemplate").field(&self.text).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The placeholders' names, or `None` for a template left whole.
    fn names(text: &'static str) -> Option<Vec<&'static str>> {
        let template = PathTemplate::split(text);
        let placeholders = template.placeholders()?;
        Some(
            placeholders
                .iter()
                .map(|&(open, close)| &text[usize::from(open) + 1..usize::from(close) - 1])
                .collect(),
        )
    }

    #[test]
    fn placeholders_are_found_in_order() {
        assert_eq!(names("/users"), Some(vec![]));
        assert_eq!(names(""), Some(vec![]));
        assert_eq!(names("/users/{id}"), Some(vec!["id"]));
        assert_eq!(
            names("/a/{x}/b/{y}.{format}"),
            Some(vec!["x", "y", "format"])
        );
        assert_eq!(names("/{}"), Some(vec![""]));
    }

    #[test]
    fn an_unclosed_brace_is_literal() {
        assert_eq!(names("/r/{"), Some(vec![]));
        assert_eq!(names("/r/{a/{b}"), Some(vec!["a/{b"]));
    }

    /// A query or fragment in the template, too many placeholders or a
    /// template too long for the offsets: left whole, scanned at each call.
    #[test]
    fn unusual_templates_are_left_whole() {
        assert_eq!(names("/items?action=archive"), None);
        assert_eq!(names("/items#top"), None);
        assert_eq!(names("/r/{q?}"), Some(vec!["q?"]));
        assert_eq!(
            names("/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}").map(|n| n.len()),
            Some(8)
        );
        assert_eq!(names("/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}"), None);
        let long: &'static str = "a".repeat(usize::from(u16::MAX) + 1).leak();
        assert_eq!(names(long), None);
        // Unclosed braces cost one look ahead, not one each.
        let braces: &'static str = "{".repeat(usize::from(u16::MAX)).leak();
        assert_eq!(names(braces), Some(vec![]));
    }

    /// Generated operations are `static`s: the split happens at compile time.
    #[test]
    fn templates_split_in_a_const() {
        const TEMPLATE: PathTemplate = PathTemplate::split("/users/{id}");
        assert_eq!(TEMPLATE.placeholders(), Some(&[(7, 11)][..]));
        assert_eq!(format!("{TEMPLATE:?}"), "PathTemplate(\"/users/{id}\")");
    }
}
