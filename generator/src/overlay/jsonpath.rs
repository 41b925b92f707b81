//! RFC 9535 JSONPath queries over a `serde_json::Value`, as overlay targets
//! use them.
//!
//! Supported: the root `$`; child segments `.name`, `.*`, `[...]`;
//! descendant segments `..name`, `..*`, `..[...]`; inside brackets quoted
//! names (with escapes), `*`, indexes (negative from the end), slices
//! `start:end:step`, and filters `?<expr>` with `@` and `$` queries,
//! existence tests, `==` `!=` `<` `<=` `>` `>=` against literals or singular
//! queries, `&&`, `||`, `!` and parentheses, and the functions `length`,
//! `count` and `value`.
//!
//! Not supported: the functions `match` and `search` (they need I-Regexp).
//! One leniency: a dot name may contain `-` after its first character
//! (`$.info.x-logo`), as real overlays write it.
//!
//! Selected nodes come back as RFC 6901 JSON pointers (`""` is the whole
//! document), in document order, each once.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use serde_json::{Number, Value};

use crate::diagnostics::escape_token;

/// How deeply parentheses, filters and function calls may nest.
const MAX_DEPTH: usize = 64;

/// The largest integer an index or slice bound may have (I-JSON).
const MAX_INT: i64 = 9_007_199_254_740_991;

/// A query that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// Byte offset in the query where it went wrong.
    pub(crate) offset: usize,
    /// What was expected there.
    pub(crate) expected: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: expected {}", self.offset, self.expected)
    }
}

/// A parsed query.
#[derive(Clone, Debug)]
pub(crate) struct Query {
    segments: Vec<Segment>,
}

#[derive(Clone, Debug)]
enum Segment {
    Child(Vec<Selector>),
    Descendant(Vec<Selector>),
}

#[derive(Clone, Debug)]
enum Selector {
    Name(String),
    Wildcard,
    Index(i64),
    Slice(Slice),
    Filter(Box<Expr>),
}

#[derive(Clone, Copy, Debug)]
struct Slice {
    start: Option<i64>,
    end: Option<i64>,
    step: Option<i64>,
}

#[derive(Clone, Debug)]
enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Exists(Path),
    Compare(Operand, Op, Operand),
}

/// A query inside a filter: relative to `@` or absolute from `$`.
#[derive(Clone, Debug)]
struct Path {
    relative: bool,
    query: Query,
}

#[derive(Clone, Debug)]
enum Operand {
    Literal(Value),
    Path(Path),
    Function(Function),
}

#[derive(Clone, Debug)]
enum Function {
    Length(Box<Operand>),
    Count(Path),
    Value(Path),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Parses `text` as a JSONPath query.
pub(crate) fn parse(text: &str) -> Result<Query, SyntaxError> {
    let mut parser = Parser {
        text,
        pos: 0,
        depth: 0,
    };
    parser.query()
}

struct Parser<'t> {
    text: &'t str,
    pos: usize,
    depth: usize,
}

fn fail<T>(offset: usize, expected: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        offset,
        expected: expected.into(),
    })
}

fn name_first(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

fn name_char(c: char) -> bool {
    name_first(c) || c.is_ascii_digit() || c == '-'
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.pos += c.len_utf8();
        }
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.bump();
        }
        found
    }

    fn eat_str(&mut self, s: &str) -> bool {
        let found = self.rest().starts_with(s);
        if found {
            self.pos += s.len();
        }
        found
    }

    fn blank(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.bump();
        }
    }

    fn error<T>(&self, expected: impl Into<String>) -> Result<T, SyntaxError> {
        fail(self.pos, expected)
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.error(format!("less nesting (at most {MAX_DEPTH} levels)"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn slice_of(&self, start: usize) -> &str {
        self.text.get(start..self.pos).unwrap_or("")
    }

    /// jsonpath-query = "$" segments, and nothing after.
    fn query(&mut self) -> Result<Query, SyntaxError> {
        if !self.eat('$') {
            return self.error("`$` (a query starts at the root)");
        }
        let query = self.segments()?;
        if self.pos < self.text.len() {
            return self.error("`.`, `..`, `[` or the end of the query");
        }
        Ok(query)
    }

    /// segments = *(S segment); blank space not followed by a segment is
    /// left for the caller.
    fn segments(&mut self) -> Result<Query, SyntaxError> {
        let mut segments = Vec::new();
        loop {
            let save = self.pos;
            self.blank();
            if matches!(self.peek(), Some('.' | '[')) {
                segments.push(self.segment()?);
            } else {
                self.pos = save;
                return Ok(Query { segments });
            }
        }
    }

    fn segment(&mut self) -> Result<Segment, SyntaxError> {
        if self.eat_str("..") {
            return match self.peek() {
                Some('[') => Ok(Segment::Descendant(self.bracketed()?)),
                Some('*') => {
                    self.bump();
                    Ok(Segment::Descendant(vec![Selector::Wildcard]))
                }
                Some(c) if name_first(c) => {
                    Ok(Segment::Descendant(vec![Selector::Name(self.shorthand())]))
                }
                _ => self.error("a member name, `*` or `[` after `..`"),
            };
        }
        if self.eat('.') {
            return match self.peek() {
                Some('*') => {
                    self.bump();
                    Ok(Segment::Child(vec![Selector::Wildcard]))
                }
                Some(c) if name_first(c) => {
                    Ok(Segment::Child(vec![Selector::Name(self.shorthand())]))
                }
                _ => {
                    self.error("a member name (a letter, `_` or non-ASCII first) or `*` after `.`")
                }
            };
        }
        Ok(Segment::Child(self.bracketed()?))
    }

    fn shorthand(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(name_char) {
            self.bump();
        }
        self.slice_of(start).to_owned()
    }

    fn bracketed(&mut self) -> Result<Vec<Selector>, SyntaxError> {
        if !self.eat('[') {
            return self.error("`[`");
        }
        let mut selectors = Vec::new();
        loop {
            self.blank();
            selectors.push(self.selector()?);
            self.blank();
            if self.eat(']') {
                return Ok(selectors);
            }
            if !self.eat(',') {
                return self.error("`,` or `]`");
            }
        }
    }

    fn selector(&mut self) -> Result<Selector, SyntaxError> {
        match self.peek() {
            Some(quote @ ('\'' | '"')) => Ok(Selector::Name(self.string(quote)?)),
            Some('*') => {
                self.bump();
                Ok(Selector::Wildcard)
            }
            Some('?') => {
                self.bump();
                self.blank();
                Ok(Selector::Filter(Box::new(self.logical()?)))
            }
            Some(':') => self.slice(None),
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let index = self.integer()?;
                let save = self.pos;
                self.blank();
                if self.peek() == Some(':') {
                    self.slice(Some(index))
                } else {
                    self.pos = save;
                    Ok(Selector::Index(index))
                }
            }
            _ => self.error("a selector: a quoted name, `*`, an index, a slice or a `?` filter"),
        }
    }

    /// At the first `:` of a slice.
    fn slice(&mut self, start: Option<i64>) -> Result<Selector, SyntaxError> {
        self.bump();
        self.blank();
        let end = self.optional_integer()?;
        self.blank();
        let step = if self.eat(':') {
            self.blank();
            self.optional_integer()?
        } else {
            None
        };
        Ok(Selector::Slice(Slice { start, end, step }))
    }

    fn optional_integer(&mut self) -> Result<Option<i64>, SyntaxError> {
        match self.peek() {
            Some(c) if c == '-' || c.is_ascii_digit() => self.integer().map(Some),
            _ => Ok(None),
        }
    }

    /// int = "0" / ["-"] DIGIT1 *DIGIT, within I-JSON's exact range.
    fn integer(&mut self) -> Result<i64, SyntaxError> {
        let start = self.pos;
        let negative = self.eat('-');
        let digits_start = self.pos;
        while matches!(self.peek(), Some('0'..='9')) {
            self.bump();
        }
        let digits = self.slice_of(digits_start);
        if digits.is_empty() {
            return self.error("a digit");
        }
        if (digits.len() > 1 && digits.starts_with('0')) || (negative && digits == "0") {
            return fail(start, "an integer without leading zeros (and not `-0`)");
        }
        match digits.parse::<i64>().ok().filter(|m| *m <= MAX_INT) {
            Some(magnitude) if negative => Ok(-magnitude),
            Some(magnitude) => Ok(magnitude),
            None => fail(start, "an integer between -(2^53-1) and 2^53-1"),
        }
    }

    /// A string literal in `quote`s, at the opening quote.
    fn string(&mut self, quote: char) -> Result<String, SyntaxError> {
        self.bump();
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return self.error(format!("a closing {quote}"));
            };
            match c {
                _ if c == quote => {
                    self.bump();
                    return Ok(out);
                }
                '\\' => {
                    let escape = self.pos;
                    self.bump();
                    let escaped = match self.peek() {
                        Some('b') => '\u{8}',
                        Some('f') => '\u{c}',
                        Some('n') => '\n',
                        Some('r') => '\r',
                        Some('t') => '\t',
                        Some('/') => '/',
                        Some('\\') => '\\',
                        Some(e) if e == quote => quote,
                        Some('u') => {
                            self.bump();
                            out.push(self.unicode_escape(escape)?);
                            continue;
                        }
                        _ => {
                            return self.error(format!(
                                "an escape: one of b f n r t / \\ {quote} or uXXXX"
                            ));
                        }
                    };
                    self.bump();
                    out.push(escaped);
                }
                _ if u32::from(c) < 0x20 => {
                    return self.error("an escaped control character (`\\n`, `\\u0001`, ...)");
                }
                _ => {
                    self.bump();
                    out.push(c);
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut code = 0u32;
        for _ in 0..4 {
            let Some(digit) = self.peek().and_then(|c| c.to_digit(16)) else {
                return self.error("four hexadecimal digits after `\\u`");
            };
            code = code * 16 + digit;
            self.bump();
        }
        Ok(code)
    }

    /// After `\u` (`start` at the backslash): one code point, a surrogate
    /// pair taking two escapes.
    fn unicode_escape(&mut self, start: usize) -> Result<char, SyntaxError> {
        let high = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&high) {
            if !self.eat_str("\\u") {
                return self.error("`\\u` and a low surrogate after a high surrogate");
            }
            let low_start = self.pos;
            let low = self.hex4()?;
            if !(0xDC00..0xE000).contains(&low) {
                return fail(low_start, "a low surrogate (DC00 to DFFF)");
            }
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..0xE000).contains(&high) {
            return fail(start, "a high surrogate before a low one");
        } else {
            high
        };
        char::from_u32(code).map_or_else(|| fail(start, "a Unicode scalar value"), Ok)
    }

    /// logical-or-expr = logical-and-expr *(S "||" S logical-and-expr)
    fn logical(&mut self) -> Result<Expr, SyntaxError> {
        self.enter()?;
        let mut expr = self.conjunction()?;
        loop {
            let save = self.pos;
            self.blank();
            if !self.eat_str("||") {
                self.pos = save;
                break;
            }
            self.blank();
            let right = self.conjunction()?;
            expr = Expr::Or(Box::new(expr), Box::new(right));
        }
        self.leave();
        Ok(expr)
    }

    fn conjunction(&mut self) -> Result<Expr, SyntaxError> {
        let mut expr = self.basic()?;
        loop {
            let save = self.pos;
            self.blank();
            if !self.eat_str("&&") {
                self.pos = save;
                return Ok(expr);
            }
            self.blank();
            let right = self.basic()?;
            expr = Expr::And(Box::new(expr), Box::new(right));
        }
    }

    fn basic(&mut self) -> Result<Expr, SyntaxError> {
        if self.eat('!') {
            self.blank();
            let inner = match self.peek() {
                Some('(') => self.parenthesized()?,
                Some('@' | '$') => Expr::Exists(self.path()?),
                _ => return self.error("`(` or a query (`@...` or `$...`) after `!`"),
            };
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.peek() == Some('(') {
            return self.parenthesized();
        }
        let start = self.pos;
        let left = self.operand()?;
        let save = self.pos;
        self.blank();
        if let Some(op) = self.comparison_op() {
            self.blank();
            let right_start = self.pos;
            let right = self.operand()?;
            comparable(&left, start)?;
            comparable(&right, right_start)?;
            return Ok(Expr::Compare(left, op, right));
        }
        self.pos = save;
        match left {
            Operand::Path(path) => Ok(Expr::Exists(path)),
            Operand::Literal(_) => fail(
                save,
                "a comparison operator after the literal (a literal alone is not a test)",
            ),
            Operand::Function(_) => fail(
                save,
                "a comparison operator after the function call (its result is a value, not a test)",
            ),
        }
    }

    fn parenthesized(&mut self) -> Result<Expr, SyntaxError> {
        if !self.eat('(') {
            return self.error("`(`");
        }
        self.blank();
        let expr = self.logical()?;
        self.blank();
        if !self.eat(')') {
            return self.error("`)`");
        }
        Ok(expr)
    }

    fn comparison_op(&mut self) -> Option<Op> {
        let ops = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        ops.into_iter()
            .find(|(text, _)| self.rest().starts_with(text))
            .map(|(text, op)| {
                self.pos += text.len();
                op
            })
    }

    fn operand(&mut self) -> Result<Operand, SyntaxError> {
        match self.peek() {
            Some('@' | '$') => Ok(Operand::Path(self.path()?)),
            Some(quote @ ('\'' | '"')) => Ok(Operand::Literal(Value::String(self.string(quote)?))),
            Some(c) if c == '-' || c.is_ascii_digit() => Ok(Operand::Literal(self.number()?)),
            Some(c) if c.is_ascii_lowercase() => self.word(),
            _ => self.error(
                "a query (`@...` or `$...`), a literal (string, number, true, false, null) or a function call",
            ),
        }
    }

    /// At `@` or `$`.
    fn path(&mut self) -> Result<Path, SyntaxError> {
        let relative = self.peek() == Some('@');
        self.bump();
        Ok(Path {
            relative,
            query: self.segments()?,
        })
    }

    /// `true`, `false`, `null` or a function call.
    fn word(&mut self) -> Result<Operand, SyntaxError> {
        let start = self.pos;
        while matches!(self.peek(), Some('a'..='z' | '0'..='9' | '_')) {
            self.bump();
        }
        let word = self.slice_of(start);
        if self.peek() != Some('(') {
            return match word {
                "true" => Ok(Operand::Literal(Value::Bool(true))),
                "false" => Ok(Operand::Literal(Value::Bool(false))),
                "null" => Ok(Operand::Literal(Value::Null)),
                _ => fail(start, "a query, a literal or a function call"),
            };
        }
        let function = match word {
            "length" | "count" | "value" => word.to_owned(),
            "match" | "search" => {
                return fail(
                    start,
                    "`length`, `count` or `value` (`match` and `search` need regular expressions, which are not supported)",
                );
            }
            _ => return fail(start, "a known function: `length`, `count` or `value`"),
        };
        self.enter()?;
        self.bump();
        self.blank();
        let arg_start = self.pos;
        let function = match function.as_str() {
            "length" => {
                let arg = self.operand()?;
                comparable(&arg, arg_start)?;
                Function::Length(Box::new(arg))
            }
            "count" => Function::Count(self.path_argument()?),
            _ => Function::Value(self.path_argument()?),
        };
        self.blank();
        if !self.eat(')') {
            return self.error("`)` closing the function call");
        }
        self.leave();
        Ok(Operand::Function(function))
    }

    fn path_argument(&mut self) -> Result<Path, SyntaxError> {
        match self.peek() {
            Some('@' | '$') => self.path(),
            _ => self.error("a query (`@...` or `$...`) as the argument"),
        }
    }

    /// number = (int / "-0") [ frac ] [ exp ]
    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.pos;
        self.eat('-');
        match self.peek() {
            Some('0') => self.bump(),
            Some('1'..='9') => self.digits(),
            _ => return self.error("a digit"),
        }
        if self.eat('.') {
            if !matches!(self.peek(), Some('0'..='9')) {
                return self.error("a digit after `.`");
            }
            self.digits();
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.bump();
            if matches!(self.peek(), Some('+' | '-')) {
                self.bump();
            }
            if !matches!(self.peek(), Some('0'..='9')) {
                return self.error("a digit in the exponent");
            }
            self.digits();
        }
        self.slice_of(start)
            .parse::<Number>()
            .map(Value::Number)
            .or_else(|_| fail(start, "a number within the range of a double"))
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some('0'..='9')) {
            self.bump();
        }
    }
}

/// A comparison's operands: literals, singular queries and functions.
fn comparable(operand: &Operand, offset: usize) -> Result<(), SyntaxError> {
    match operand {
        Operand::Path(path) if !path.query.is_singular() => fail(
            offset,
            "a singular query (only names and indexes: no `*`, `..`, slices or filters) in a comparison",
        ),
        _ => Ok(()),
    }
}

/// One step from a node to its child: the member's position and name, or
/// the element's index.
#[derive(Clone, Copy, Debug)]
enum Step<'v> {
    Key(usize, &'v str),
    Index(usize),
}

#[derive(Clone, Debug)]
struct Node<'v> {
    value: &'v Value,
    path: Vec<Step<'v>>,
}

impl<'v> Node<'v> {
    fn top(value: &'v Value) -> Self {
        Self {
            value,
            path: Vec::new(),
        }
    }

    fn child(&self, value: &'v Value, step: Step<'v>) -> Self {
        let mut path = Vec::with_capacity(self.path.len() + 1);
        path.extend_from_slice(&self.path);
        path.push(step);
        Self { value, path }
    }

    /// Positions from the root: sorting by them gives document order.
    fn positions(&self) -> Vec<usize> {
        self.path
            .iter()
            .map(|step| match step {
                Step::Key(position, _) | Step::Index(position) => *position,
            })
            .collect()
    }

    fn pointer(&self) -> String {
        let mut pointer = String::new();
        for step in &self.path {
            pointer.push('/');
            match step {
                Step::Key(_, key) => pointer.push_str(&escape_token(key)),
                Step::Index(index) => pointer.push_str(&index.to_string()),
            }
        }
        pointer
    }

    /// Pushes each child, in document order, onto `out` when `keep` holds.
    fn children(&self, out: &mut Vec<Self>, mut keep: impl FnMut(&'v Value) -> bool) {
        match self.value {
            Value::Object(map) => {
                for (position, (key, value)) in map.iter().enumerate() {
                    if keep(value) {
                        out.push(self.child(value, Step::Key(position, key)));
                    }
                }
            }
            Value::Array(items) => {
                for (index, value) in items.iter().enumerate() {
                    if keep(value) {
                        out.push(self.child(value, Step::Index(index)));
                    }
                }
            }
            _ => {}
        }
    }
}

impl Query {
    /// The nodes of `root` the query selects, as JSON pointers in document
    /// order, without duplicates.
    pub(crate) fn select(&self, root: &Value) -> Vec<String> {
        let mut found: Vec<(Vec<usize>, String)> = self
            .nodes(Node::top(root), root)
            .iter()
            .map(|node| (node.positions(), node.pointer()))
            .collect();
        found.sort();
        found.dedup();
        found.into_iter().map(|(_, pointer)| pointer).collect()
    }

    fn is_singular(&self) -> bool {
        self.segments.iter().all(|segment| {
            matches!(segment, Segment::Child(selectors)
                if matches!(selectors.as_slice(), [Selector::Name(_) | Selector::Index(_)]))
        })
    }

    fn nodes<'v>(&self, start: Node<'v>, root: &'v Value) -> Vec<Node<'v>> {
        let mut current = vec![start];
        for segment in &self.segments {
            let mut next = Vec::new();
            for node in &current {
                match segment {
                    Segment::Child(selectors) => {
                        for selector in selectors {
                            selector.apply(node, root, &mut next);
                        }
                    }
                    Segment::Descendant(selectors) => {
                        // The node, then its descendants in document order;
                        // an explicit stack bounds the native recursion.
                        let mut stack = vec![node.clone()];
                        while let Some(item) = stack.pop() {
                            for selector in selectors {
                                selector.apply(&item, root, &mut next);
                            }
                            let mut children = Vec::new();
                            item.children(&mut children, |_| true);
                            stack.extend(children.into_iter().rev());
                        }
                    }
                }
            }
            current = next;
        }
        current
    }
}

impl Selector {
    fn apply<'v>(&self, node: &Node<'v>, root: &'v Value, out: &mut Vec<Node<'v>>) {
        match (self, node.value) {
            (Self::Name(name), Value::Object(map)) => {
                if let Some((position, (key, value))) =
                    map.iter().enumerate().find(|(_, (key, _))| *key == name)
                {
                    out.push(node.child(value, Step::Key(position, key)));
                }
            }
            (Self::Wildcard, _) => node.children(out, |_| true),
            (Self::Index(index), Value::Array(items)) => {
                if let Some(i) = normalize(*index, items.len())
                    && let Some(value) = items.get(i)
                {
                    out.push(node.child(value, Step::Index(i)));
                }
            }
            (Self::Slice(slice), Value::Array(items)) => {
                for i in slice.indices(items.len()) {
                    if let Some(value) = items.get(i) {
                        out.push(node.child(value, Step::Index(i)));
                    }
                }
            }
            (Self::Filter(expr), _) => node.children(out, |value| expr.test(value, root)),
            _ => {}
        }
    }
}

/// An index counted from the end when negative; `None` when before the start.
fn normalize(index: i64, len: usize) -> Option<usize> {
    if index >= 0 {
        usize::try_from(index).ok()
    } else {
        let back = usize::try_from(index.unsigned_abs()).ok()?;
        len.checked_sub(back)
    }
}

impl Slice {
    /// RFC 9535 section 2.3.4.2.2, in the order the step visits them.
    fn indices(self, len: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let Ok(len) = i64::try_from(len) else {
            return out;
        };
        let step = self.step.unwrap_or(1);
        let normal = |i: i64| if i >= 0 { i } else { len + i };
        if step > 0 {
            let lower = normal(self.start.unwrap_or(0)).clamp(0, len);
            let upper = normal(self.end.unwrap_or(len)).clamp(0, len);
            let mut i = lower;
            while i < upper {
                out.extend(usize::try_from(i).ok());
                i += step;
            }
        } else if step < 0 {
            let upper = normal(self.start.unwrap_or(len - 1)).clamp(-1, len - 1);
            let lower = normal(self.end.unwrap_or(-len - 1)).clamp(-1, len - 1);
            let mut i = upper;
            while lower < i {
                out.extend(usize::try_from(i).ok());
                i += step;
            }
        }
        out
    }
}

impl Path {
    fn nodes<'v>(&self, current: &'v Value, root: &'v Value) -> Vec<Node<'v>> {
        let start = if self.relative { current } else { root };
        self.query.nodes(Node::top(start), root)
    }
}

impl Expr {
    fn test(&self, current: &Value, root: &Value) -> bool {
        match self {
            Self::Or(left, right) => left.test(current, root) || right.test(current, root),
            Self::And(left, right) => left.test(current, root) && right.test(current, root),
            Self::Not(inner) => !inner.test(current, root),
            Self::Exists(path) => !path.nodes(current, root).is_empty(),
            Self::Compare(left, op, right) => {
                let left = left.eval(current, root);
                let right = right.eval(current, root);
                compare(left.as_deref(), *op, right.as_deref())
            }
        }
    }
}

impl Operand {
    /// The operand's value, `None` for RFC 9535's "Nothing".
    fn eval<'v>(&'v self, current: &'v Value, root: &'v Value) -> Option<Cow<'v, Value>> {
        match self {
            Self::Literal(value) => Some(Cow::Borrowed(value)),
            Self::Path(path) => path
                .nodes(current, root)
                .first()
                .map(|node| Cow::Borrowed(node.value)),
            Self::Function(Function::Length(argument)) => {
                let length = match argument.eval(current, root)?.as_ref() {
                    Value::String(text) => text.chars().count(),
                    Value::Array(items) => items.len(),
                    Value::Object(map) => map.len(),
                    _ => return None,
                };
                Some(Cow::Owned(Value::from(length)))
            }
            Self::Function(Function::Count(path)) => {
                Some(Cow::Owned(Value::from(path.nodes(current, root).len())))
            }
            Self::Function(Function::Value(path)) => match path.nodes(current, root).as_slice() {
                [only] => Some(Cow::Borrowed(only.value)),
                _ => None,
            },
        }
    }
}

fn compare(left: Option<&Value>, op: Op, right: Option<&Value>) -> bool {
    match op {
        Op::Eq => equal(left, right),
        Op::Ne => !equal(left, right),
        Op::Lt => less(left, right),
        Op::Le => less(left, right) || equal(left, right),
        Op::Gt => less(right, left),
        Op::Ge => less(right, left) || equal(left, right),
    }
}

fn equal(left: Option<&Value>, right: Option<&Value>) -> bool {
    match (left, right) {
        (None, None) => true,
        (Some(left), Some(right)) => same(left, right),
        _ => false,
    }
}

/// Deep equality, numbers by value (`1 == 1.0`).
fn same(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => number_order(a, b) == Some(Ordering::Equal),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, a)| b.get(key).is_some_and(|b| same(a, b)))
        }
        _ => left == right,
    }
}

/// `<` holds between two numbers or two strings only.
fn less(left: Option<&Value>, right: Option<&Value>) -> bool {
    match (left, right) {
        (Some(Value::Number(a)), Some(Value::Number(b))) => {
            number_order(a, b) == Some(Ordering::Less)
        }
        (Some(Value::String(a)), Some(Value::String(b))) => a < b,
        _ => false,
    }
}

fn number_order(a: &Number, b: &Number) -> Option<Ordering> {
    let exact = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    if let (Some(a), Some(b)) = (exact(a), exact(b)) {
        return Some(a.cmp(&b));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn select(query: &str, document: &Value) -> Vec<String> {
        match parse(query) {
            Ok(query) => query.select(document),
            Err(error) => panic!("{query}: {error}"),
        }
    }

    fn values(query: &str, document: &Value) -> Vec<Value> {
        select(query, document)
            .iter()
            .filter_map(|pointer| document.pointer(pointer).cloned())
            .collect()
    }

    /// A record shop, shaped like RFC 9535's bookstore example.
    fn shop() -> Value {
        json!({
            "shop": {
                "record": [
                    {"label": "Blue Note", "artist": "Horace Silver", "title": "Song for My Father", "price": 8.95},
                    {"label": "Impulse!", "artist": "John Coltrane", "title": "A Love Supreme", "price": 12.99},
                    {"label": "Blue Note", "artist": "Lee Morgan", "title": "The Sidewinder", "catalog": "BST-84157", "price": 8.99},
                    {"label": "Columbia", "artist": "Miles Davis", "title": "Kind of Blue", "catalog": "CL 1355", "price": 22.99}
                ],
                "turntable": {"colour": "black", "price": 399}
            }
        })
    }

    #[test]
    fn rfc_bookstore_examples() {
        let shop = shop();
        // The artists of all records.
        assert_eq!(
            values("$.shop.record[*].artist", &shop),
            [
                "Horace Silver",
                "John Coltrane",
                "Lee Morgan",
                "Miles Davis"
            ]
        );
        // All artists, anywhere.
        assert_eq!(values("$..artist", &shop).len(), 4);
        // Everything in the shop: the records array and the turntable.
        assert_eq!(
            select("$.shop.*", &shop),
            ["/shop/record", "/shop/turntable"]
        );
        // The price of everything, in document order.
        assert_eq!(
            values("$.shop..price", &shop),
            [
                json!(8.95),
                json!(12.99),
                json!(8.99),
                json!(22.99),
                json!(399)
            ]
        );
        // The third record, and its artist; a missing member selects nothing.
        assert_eq!(select("$..record[2]", &shop), ["/shop/record/2"]);
        assert_eq!(values("$..record[2].artist", &shop), ["Lee Morgan"]);
        assert!(select("$..record[2].publisher", &shop).is_empty());
        // The last record, by a negative index and by a slice.
        assert_eq!(select("$..record[-1]", &shop), ["/shop/record/3"]);
        assert_eq!(select("$..record[-1:]", &shop), ["/shop/record/3"]);
        // The first two, by a union and by a slice.
        assert_eq!(
            select("$..record[0,1]", &shop),
            ["/shop/record/0", "/shop/record/1"]
        );
        assert_eq!(
            select("$..record[:2]", &shop),
            select("$..record[0,1]", &shop)
        );
        // Records with a catalog number; records cheaper than 10.
        assert_eq!(
            select("$..record[?@.catalog]", &shop),
            ["/shop/record/2", "/shop/record/3"]
        );
        assert_eq!(
            select("$..record[?@.price<10]", &shop),
            ["/shop/record/0", "/shop/record/2"]
        );
        // Every member and element: 1 shop, 1 array, 4 records of 4 or 5
        // members, 1 turntable of 2.
        assert_eq!(select("$..*", &shop).len(), 1 + 1 + 4 + 18 + 1 + 2);
        // The root itself.
        assert_eq!(select("$", &shop), [""]);
    }

    #[test]
    fn rfc_filter_examples() {
        let data = json!({
            "a": [3, 5, 1, 2, 4, 6, {"b": "j"}, {"b": "k"}, {"b": {}}, {"b": "kilo"}],
            "o": {"p": 1, "q": 2, "r": 3, "s": 5, "t": {"u": 6}},
            "e": "f"
        });
        assert_eq!(select("$.a[?@.b == 'kilo']", &data), ["/a/9"]);
        assert_eq!(select("$.a[?(@.b == 'kilo')]", &data), ["/a/9"]);
        assert_eq!(values("$.a[?@>3.5]", &data), [json!(5), json!(4), json!(6)]);
        assert_eq!(select("$.a[?@.b]", &data), ["/a/6", "/a/7", "/a/8", "/a/9"]);
        // Children that have children.
        assert_eq!(select("$[?@.*]", &data), ["/a", "/o"]);
        // Children that have a child with a `b`.
        assert_eq!(select("$[?@[?@.b]]", &data), ["/a"]);
        // A union of two filters: each node once, in document order.
        assert_eq!(select("$.o[?@<3, ?@<3]", &data), ["/o/p", "/o/q"]);
        assert_eq!(select("$.a[?@<2 || @.b == \"k\"]", &data), ["/a/2", "/a/7"]);
    }

    #[test]
    fn rfc_filter_examples_continued() {
        let data = json!({
            "a": [3, 5, 1, 2, 4, 6, {"b": "j"}, {"b": "k"}, {"b": {}}, {"b": "kilo"}],
            "o": {"p": 1, "q": 2, "r": 3, "s": 5, "t": {"u": 6}},
            "e": "f"
        });
        assert_eq!(select("$.o[?@>1 && @<4]", &data), ["/o/q", "/o/r"]);
        assert_eq!(select("$.o[?@.u || @.x]", &data), ["/o/t"]);
        // Both sides Nothing: equal, so every element without `b` is kept.
        assert_eq!(
            select("$.a[?@.b == $.x]", &data),
            ["/a/0", "/a/1", "/a/2", "/a/3", "/a/4", "/a/5"]
        );
        assert_eq!(select("$.a[?@ == @]", &data).len(), 10);
        assert_eq!(select("$.a[?!@.b]", &data).len(), 6);
        assert_eq!(select("$.a[?!(@.b == 'j' || @.b == 'k')]", &data).len(), 8);
    }

    /// Whether the filter expression holds, evaluated against `document`.
    fn holds(expression: &str, document: &Value) -> bool {
        let wrapper = json!({"only": document.clone()});
        let query = format!("$[?{expression}]");
        !select(&query, &wrapper).is_empty()
    }

    #[test]
    fn rfc_comparison_table() {
        let data = json!({"obj": {"x": "y"}, "arr": [2, 3]});
        let wrapped = |expression: &str| holds(&expression.replace('$', "$.only"), &data);
        assert!(wrapped("$.absent1 == $.absent2"));
        assert!(wrapped("$.absent1 <= $.absent2"));
        assert!(!wrapped("$.absent == 'g'"));
        assert!(!wrapped("$.absent1 != $.absent2"));
        assert!(wrapped("$.absent != 'g'"));
        assert!(wrapped("1 <= 2"));
        assert!(!wrapped("1 > 2"));
        assert!(!wrapped("13 == '13'"));
        assert!(wrapped("'a' <= 'b'"));
        assert!(!wrapped("'a' > 'b'"));
        assert!(!wrapped("$.obj == $.arr"));
        assert!(wrapped("$.obj != $.arr"));
        assert!(wrapped("$.obj == $.obj"));
        assert!(!wrapped("$.obj != $.obj"));
        assert!(wrapped("$.arr == $.arr"));
        assert!(!wrapped("$.arr != $.arr"));
        assert!(!wrapped("$.obj == 17"));
        assert!(wrapped("$.obj != 17"));
        assert!(!wrapped("$.obj <= $.arr"));
        assert!(!wrapped("$.obj < $.arr"));
        assert!(wrapped("$.obj <= $.obj"));
        assert!(wrapped("$.arr <= $.arr"));
        assert!(!wrapped("1 <= $.arr"));
        assert!(!wrapped("1 >= $.arr"));
        assert!(!wrapped("1 > $.arr"));
        assert!(!wrapped("1 < $.arr"));
        assert!(wrapped("true <= true"));
        assert!(!wrapped("true > true"));
        // Numbers by value; deep equality; strings by code point.
        assert!(wrapped("1 == 1.0"));
        assert!(wrapped("1e2 == 100"));
        assert!(wrapped("-0 == 0"));
        assert!(wrapped("$.arr[0] == 2 && $.arr[-1] >= 3"));
        assert!(wrapped("'Z' < 'a' && 'é' > 'z'"));
        assert!(wrapped("null == null && false != true"));
    }

    #[test]
    fn functions() {
        let data = json!({"tags": ["a", "bb"], "name": "été", "none": null});
        assert!(holds("length(@.tags) == 2", &data));
        assert!(holds("length(@.name) == 3", &data));
        assert!(holds("length('four') == 4", &data));
        assert!(!holds("length(@.none) == 0", &data));
        assert!(holds("count(@.tags[*]) == 2", &data));
        assert!(holds("count(@..*) == 5", &data));
        assert!(holds("value(@.tags[1]) == 'bb'", &data));
        assert!(!holds("value(@.tags[*]) == 'bb'", &data));
        assert!(holds("length(value(@.name)) == 3", &data));
    }

    /// A FastAPI-generated spec, in miniature.
    fn fastapi() -> Value {
        json!({
            "openapi": "3.1.0",
            "info": {"title": "FastAPI", "version": "0.1.0"},
            "paths": {
                "/notifications": {
                    "post": {
                        "summary": "Send Notification",
                        "operationId": "send_notification_notifications_post",
                        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Notification"}}}, "required": true},
                        "responses": {"200": {"description": "Successful Response"}}
                    },
                    "get": {
                        "summary": "List Notifications",
                        "operationId": "list_notifications_notifications_get",
                        "parameters": [
                            {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "default": 20}},
                            {"name": "x-trace", "in": "header", "schema": {"type": "string"}}
                        ],
                        "responses": {"200": {"description": "Successful Response"}}
                    }
                },
                "/users/{user_id}": {
                    "get": {
                        "operationId": "read_user_users__user_id__get",
                        "parameters": [{"name": "user_id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                        "responses": {"200": {"description": "Successful Response"}},
                        "x-internal": true
                    }
                }
            },
            "components": {
                "schemas": {
                    "Notification": {
                        "type": "object",
                        "required": ["message"],
                        "properties": {
                            "message": {"type": "string"},
                            "action_url": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Action Url"}
                        }
                    }
                }
            }
        })
    }

    #[test]
    fn fastapi_filters() {
        let spec = fastapi();
        // RFC 9535: a filter tests the children of the node before it, so
        // `[?@.operationId ...]` must come right after the path item.
        assert_eq!(
            select(
                "$.paths.*[?@.operationId == 'send_notification_notifications_post']",
                &spec
            ),
            ["/paths/~1notifications/post"]
        );
        // One level deeper it tests the operation's own members, none of
        // which has an operationId: nothing.
        assert!(
            select(
                "$.paths.*.*[?@.operationId == 'send_notification_notifications_post']",
                &spec
            )
            .is_empty()
        );
        assert_eq!(
            select(
                "$.components.schemas.Notification.properties.action_url",
                &spec
            ),
            ["/components/schemas/Notification/properties/action_url"]
        );
        assert_eq!(
            select("$.paths['/users/{user_id}'].get", &spec),
            ["/paths/~1users~1{user_id}/get"]
        );
        assert_eq!(
            select("$.paths.*.*.parameters[?@.in == 'header']", &spec),
            ["/paths/~1notifications/get/parameters/1"]
        );
        assert_eq!(
            select(
                "$.paths.*.get.parameters[?@.name=='limit' && @.in=='query']",
                &spec
            ),
            ["/paths/~1notifications/get/parameters/0"]
        );
        // `-` inside a dot name (a leniency) and the bracketed spelling.
        assert_eq!(
            select("$.paths.*[?@.x-internal == true]", &spec),
            ["/paths/~1users~1{user_id}/get"]
        );
        assert_eq!(
            select("$.paths.*[?@['x-internal']]", &spec),
            select("$.paths.*[?@.x-internal]", &spec)
        );
        // Every `$ref`, anywhere.
        assert_eq!(
            select("$..['$ref']", &spec),
            ["/paths/~1notifications/post/requestBody/content/application~1json/schema/$ref"]
        );
        // A filter with a nested filter: schemas with a nullable branch.
        assert_eq!(
            select("$..properties[?@.anyOf[?@.type == 'null']]", &spec),
            ["/components/schemas/Notification/properties/action_url"]
        );
        // `$` inside a filter is the document root.
        assert_eq!(
            select(
                "$.paths.*[?$.info.title == 'FastAPI' && @.parameters]",
                &spec
            )
            .len(),
            2
        );
        // All operations in document order, each once, from two selectors.
        assert_eq!(
            select("$.paths.*['post', 'get', 'post']", &spec),
            [
                "/paths/~1notifications/post",
                "/paths/~1notifications/get",
                "/paths/~1users~1{user_id}/get"
            ]
        );
    }

    #[test]
    fn unicode_and_escaped_names() {
        let data = json!({
            "名前": {"ünï": 1},
            "a'b": 2,
            "a\"b": 3,
            "a/b~c": 4,
            "😀": 5,
            "tab\there": 6,
            "é": 7
        });
        assert_eq!(select("$.名前.ünï", &data), ["/名前/ünï"]);
        assert_eq!(select("$['名前']['ünï']", &data), ["/名前/ünï"]);
        assert_eq!(select("$['a\\'b']", &data), ["/a'b"]);
        assert_eq!(select("$[\"a'b\"]", &data), ["/a'b"]);
        assert_eq!(select("$[\"a\\\"b\"]", &data), ["/a\"b"]);
        assert_eq!(select("$['a/b~c']", &data), ["/a~1b~0c"]);
        assert_eq!(select("$['\\uD83D\\uDE00']", &data), ["/😀"]);
        assert_eq!(select("$.😀", &data), ["/😀"]);
        assert_eq!(select("$['tab\\there']", &data), ["/tab\there"]);
        assert_eq!(select("$['\\u00e9']", &data), ["/é"]);
        assert_eq!(select("$['\\u00E9', 'é']", &data), ["/é"]);
        // Blank space around selectors and between segments.
        assert_eq!(select("$ [ '名前' ] .ünï", &data), ["/名前/ünï"]);
    }

    #[test]
    fn indexes_and_slices() {
        let data = json!({"a": [0, 1, 2, 3, 4, 5, 6]});
        let picked = |query: &str| values(query, &data);
        assert_eq!(picked("$.a[1:3]"), [json!(1), json!(2)]);
        assert_eq!(picked("$.a[5:]"), [json!(5), json!(6)]);
        assert_eq!(picked("$.a[1:5:2]"), [json!(1), json!(3)]);
        // Reversed slices select the same nodes; they come back in
        // document order.
        assert_eq!(picked("$.a[5:1:-2]"), [json!(3), json!(5)]);
        assert_eq!(picked("$.a[::-1]").len(), 7);
        assert!(picked("$.a[::0]").is_empty());
        assert!(picked("$.a[7]").is_empty());
        assert!(picked("$.a[-8]").is_empty());
        assert_eq!(picked("$.a[-7]"), [json!(0)]);
        assert_eq!(picked("$.a[-100:2]"), [json!(0), json!(1)]);
        assert_eq!(picked("$.a[ 1 : 3 : 1 ]"), [json!(1), json!(2)]);
        // Indexes on objects and names on arrays select nothing.
        assert!(select("$[0]", &json!({"0": 1})).is_empty());
        assert!(select("$.a.length", &data).is_empty());
        assert_eq!(select("$[9007199254740991]", &data), Vec::<String>::new());
    }

    #[test]
    fn malformed_queries_are_errors_with_offsets() {
        let cases: &[(&str, usize)] = &[
            ("", 0),
            ("a", 0),
            (" $", 0),
            ("$ ", 1),
            ("$.", 2),
            ("$..", 3),
            ("$...a", 3),
            ("$.1a", 2),
            ("$.-a", 2),
            ("$[", 2),
            ("$['a'", 5),
            ("$['a]", 5),
            ("$[a]", 2),
            ("$[?]", 3),
            ("$[?@.a ==]", 9),
            ("$[?@.a == 1 == 2]", 12),
            ("$[?'a']", 6),
            ("$[?@.* == 1]", 3),
            ("$[?1 == @..a]", 8),
            ("$[?(@.a]", 7),
            ("$[01]", 2),
            ("$[-0]", 2),
            ("$[9007199254740992]", 2),
            ("$[1:2:3:4]", 7),
            ("$['\\x']", 4),
            ("$['\\ud800']", 9),
            ("$['\\udc00']", 3),
            ("$['\u{1}']", 3),
            ("$[?!!@.a]", 4),
            ("$[?match(@.a, 'x')]", 3),
            ("$[?foo(@.a)]", 3),
            ("$[?length(@.a)]", 14),
            ("$[?@.a == tru]", 10),
            ("$[?@.a == 01]", 11),
            ("$[?@.a == 1.]", 12),
            ("$[?@.a == 1e]", 12),
            ("$['a' 'b']", 6),
        ];
        let mut wrong = Vec::new();
        for (query, offset) in cases {
            match parse(query) {
                Ok(_) => wrong.push(format!("{query:?} parsed")),
                Err(error) if error.offset != *offset || error.expected.is_empty() => {
                    wrong.push(format!("{query:?} (want {offset}): {error}"));
                }
                Err(_) => {}
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        let error = parse("$.paths[?@.x ==").err();
        assert_eq!(
            error.map(|e| e.to_string()),
            Some(
                "at byte 15: expected a query (`@...` or `$...`), a literal (string, number, true, false, null) or a function call"
                    .to_owned()
            )
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("$[?{}@.a{}]", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&deep).is_err());
        let nested = format!("${}", "[?@".repeat(10_000));
        assert!(parse(&nested).is_err());
        let calls = format!(
            "$[?{}@.a{} == 1]",
            "length(value(".repeat(5_000),
            "))".repeat(5_000)
        );
        assert!(parse(&calls).is_err());
        let fine = format!("$[?{}@.a{}]", "(".repeat(20), ")".repeat(20));
        assert!(parse(&fine).is_ok());
    }

    #[test]
    fn random_queries_never_panic() {
        const ALPHABET: &[&str] = &[
            "$", "@", ".", "..", "[", "]", "*", "?", "'", "\"", "\\", ":", ",", "-", "0", "1", "9",
            "(", ")", "=", "==", "!", "<", ">", "&&", "||", " ", "a", "b", "é", "u", "length(",
            "true", "null", "\\u", "D8", "e",
        ];
        let document = json!({"a": [1, {"b": "c"}, [2]], "b": {"a": null}, "é": "x"});
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut parsed = 0;
        for round in 0..5_000 {
            let length = next() % 16;
            let mut query = String::new();
            if round % 2 == 0 {
                query.push('$');
            }
            for _ in 0..length {
                let pick = usize::try_from(next() % ALPHABET.len() as u64).unwrap_or(0);
                query.push_str(ALPHABET.get(pick).copied().unwrap_or(""));
            }
            if let Ok(query) = parse(&query) {
                parsed += 1;
                let _ = query.select(&document);
            }
        }
        assert!(parsed > 0);
    }
}
