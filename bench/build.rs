//! Generates progenitor 0.15.1's positional clients for two of our specs at
//! build time, so the request benchmark can compare a progenitor-generated
//! client too. Nothing of progenitor's output is committed.

use std::error::Error;
use std::path::Path;

fn main() -> Result<(), Box<dyn Error>> {
    let out = std::env::var("OUT_DIR")?;
    for (spec, file) in [
        ("../specs/config.yaml", "progenitor_config.rs"),
        ("../specs/audit.yaml", "progenitor_audit.rs"),
    ] {
        println!("cargo:rerun-if-changed={spec}");
        let text = std::fs::read_to_string(spec)?;
        let value: serde_json::Value = serde_yaml_ng::from_str(&text)?;
        let api: openapiv3::OpenAPI = serde_json::from_value(value)?;
        let mut settings = progenitor_impl::GenerationSettings::default();
        settings.with_interface(progenitor_impl::InterfaceStyle::Positional);
        let tokens = progenitor_impl::Generator::new(&settings).generate_tokens(&api)?;
        let syntax: syn::File = syn::parse2(tokens)?;
        std::fs::write(Path::new(&out).join(file), prettyplease::unparse(&syntax))?;
    }
    Ok(())
}
