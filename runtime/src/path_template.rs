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
    /// placeholders than fit, names one placeholder twice (its value is
    /// then looked up by name each time), or is too long for the offsets.
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
                    if count == MAX_PLACEHOLDERS
                        || named_before(bytes, &template.placeholders, count, at + 1, close)
                    {
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

    /// Appends the template from placeholder `from` on (the literal text
    /// before it included) to `out`, `fill_in` writing the value of each
    /// placeholder, given its name. `None` when the template was left whole,
    /// to be scanned instead.
    pub(crate) fn fill<E>(
        &self,
        from: usize,
        out: &mut String,
        mut fill_in: impl FnMut(&mut String, &'static str) -> Result<(), E>,
    ) -> Option<Result<(), E>> {
        let text = self.text;
        let placeholders = self.placeholders()?;
        let mut literal = from
            .checked_sub(1)
            .and_then(|previous| placeholders.get(previous))
            .map_or(0, |&(_, close)| usize::from(close));
        for &(open, close) in placeholders.get(from..).unwrap_or_default() {
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

    /// Placeholder `index` of a split template: the literal text between
    /// the previous placeholder (or the start) and it, and its name. `None`
    /// past the last placeholder, and for a template scanned at each call.
    #[inline]
    pub(crate) fn placeholder(&self, index: usize) -> Option<(&'static str, &'static str)> {
        let placeholders = self.placeholders()?;
        let &(open, close) = placeholders.get(index)?;
        let start = index
            .checked_sub(1)
            .map_or(0, |previous| usize::from(placeholders[previous].1));
        let (open, close) = (usize::from(open), usize::from(close));
        // Offsets of an ASCII `{` and of the byte after an ASCII `}` in
        // this very text: character boundaries.
        Some((&self.text[start..open], &self.text[open + 1..close - 1]))
    }

    /// The number of placeholders of a split template; `None` for one
    /// scanned at each call.
    pub(crate) fn count(&self) -> Option<usize> {
        self.count.map(usize::from)
    }

    /// The text after the last placeholder of a split template (all of it
    /// without placeholders).
    pub(crate) fn tail(&self) -> &'static str {
        let start = self
            .placeholders()
            .and_then(<[_]>::last)
            .map_or(0, |&(_, close)| usize::from(close));
        &self.text[start..]
    }
}

/// Whether one of the first `count` placeholders of `bytes` is named
/// `bytes[from..to]`.
const fn named_before(
    bytes: &[u8],
    placeholders: &[(u16, u16); MAX_PLACEHOLDERS],
    count: usize,
    from: usize,
    to: usize,
) -> bool {
    let mut index = 0;
    while index < count {
        let (open, close) = placeholders[index];
        let (start, end) = (open as usize + 1, close as usize - 1);
        if end - start == to - from {
            let mut at = 0;
            while at < to - from && bytes[start + at] == bytes[from + at] {
                at += 1;
            }
            if at == to - from {
                return true;
            }
        }
        index += 1;
    }
    false
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
        assert_eq!(names("/a/{id}/b/{id}"), None);
        assert_eq!(names("/a/{id}/b/{idx}"), Some(vec!["id", "idx"]));
        let long: &'static str = "a".repeat(usize::from(u16::MAX) + 1).leak();
        assert_eq!(names(long), None);
        // Unclosed braces cost one look ahead, not one each.
        let braces: &'static str = "{".repeat(usize::from(u16::MAX)).leak();
        assert_eq!(names(braces), Some(vec![]));
    }

    /// A split template is read back placeholder by placeholder: literal
    /// text, name, and the text after the last.
    #[test]
    fn placeholders_come_with_the_text_before_them() {
        let template = PathTemplate::split("/a/{x}/b/{y}.{format}");
        assert_eq!(template.count(), Some(3));
        assert_eq!(template.placeholder(0), Some(("/a/", "x")));
        assert_eq!(template.placeholder(1), Some(("/b/", "y")));
        assert_eq!(template.placeholder(2), Some((".", "format")));
        assert_eq!(template.placeholder(3), None);
        assert_eq!(template.tail(), "");
        let plain = PathTemplate::split("/users/{id}/files");
        assert_eq!(plain.tail(), "/files");
        assert_eq!(PathTemplate::split("/users").tail(), "/users");
        let scanned = PathTemplate::split("/items/{id}?action=archive");
        assert_eq!((scanned.count(), scanned.placeholder(0)), (None, None));
    }

    /// Generated operations are `static`s: the split happens at compile time.
    #[test]
    fn templates_split_in_a_const() {
        const TEMPLATE: PathTemplate = PathTemplate::split("/users/{id}");
        assert_eq!(TEMPLATE.placeholders(), Some(&[(7, 11)][..]));
        assert_eq!(format!("{TEMPLATE:?}"), "PathTemplate(\"/users/{id}\")");
    }
}
