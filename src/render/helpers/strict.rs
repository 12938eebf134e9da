//! Strict `if` and `unless`. Handlebars' strict mode reports a missing field in `{{field}}`,
//! `{{#each field}}` and `{{#with field}}`, but `{{#if autor}}` would quietly be false and hide a
//! typo. These behave as the built-in helpers (including `includeZero=true`) and report a missing
//! field as a "variable does not exist" error at the template's line.

use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, JsonTruthy, Output, RenderContext,
    RenderError, RenderErrorReason, Renderable,
};

struct StrictIf {
    name: &'static str,
    positive: bool,
}

impl HelperDef for StrictIf {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let param = h.param(0).ok_or(RenderErrorReason::ParamNotFoundForIndex(self.name, 0))?;
        if param.is_value_missing() {
            return Err(RenderError::strict_error(param.relative_path()));
        }
        let include_zero =
            h.hash_get("includeZero").and_then(|v| v.value().as_bool()).unwrap_or(false);
        let truthy = param.value().is_truthy(include_zero) == self.positive;
        match if truthy { h.template() } else { h.inverse() } {
            Some(t) => t.render(r, ctx, rc, out),
            None => Ok(()),
        }
    }
}

/// Replaces the built-in `if` and `unless`.
pub(super) fn register(hb: &mut Handlebars<'_>) {
    hb.register_helper("if", Box::new(StrictIf { name: "if", positive: true }));
    hb.register_helper("unless", Box::new(StrictIf { name: "unless", positive: false }));
}
