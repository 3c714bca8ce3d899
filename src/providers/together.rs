//! Together `GET /v1/models`: a bare array of models of every type.

use super::{ParseCtx, ParsedPage};

/// Parses the Together listing.
pub(super) fn parse(body: &[u8], ctx: &ParseCtx) -> Result<ParsedPage, String> {
    super::openai::parse(body, ctx)
}
