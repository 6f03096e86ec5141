//! The catalog bundled in the binary (compressed), for offline bootstrap.

use std::io::Read;

/// The date of the bundled OpenRouter catalog.
pub const OPENROUTER_SNAPSHOT_DATE: &str = "2026-08-14";

static OPENROUTER_TEXT: &[u8] =
    include_bytes!("../../snapshot/openrouter_models_2026-08-14.json.gz");
static OPENROUTER_ALL: &[u8] =
    include_bytes!("../../snapshot/openrouter_models_all-modalities_2026-08-14.json.gz");

/// The bundled `GET /models` body: text models, or every output modality.
pub fn openrouter_models(all_modalities: bool) -> std::io::Result<Vec<u8>> {
    let compressed = if all_modalities {
        OPENROUTER_ALL
    } else {
        OPENROUTER_TEXT
    };
    let mut out = Vec::with_capacity(compressed.len() * 8);
    flate2::read::GzDecoder::new(compressed).read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::openrouter;

    #[test]
    fn bundled_catalogs_parse() {
        let text =
            openrouter::parse_models(&openrouter_models(false).expect("inflates")).expect("parses");
        assert_eq!(text.len(), 414);
        let all =
            openrouter::parse_models(&openrouter_models(true).expect("inflates")).expect("parses");
        assert_eq!(all.len(), 549);
    }
}
