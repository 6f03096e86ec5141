//! The catalog bundled in the binary (compressed), for offline bootstrap.

use super::Source;
use std::io::Read;

/// The date of the bundled OpenRouter catalog.
pub const OPENROUTER_SNAPSHOT_DATE: &str = "2026-08-14";

static OPENROUTER_TEXT: &[u8] = include_bytes!("../../snapshot/openrouter_models_2026-08-14.json.gz");
static OPENROUTER_ALL: &[u8] = include_bytes!("../../snapshot/openrouter_models_all-modalities_2026-08-14.json.gz");

static LITELLM: &[u8] = include_bytes!("../../snapshot/litellm_1.109.1.json.gz");
static GENAI_PRICES: &[u8] = include_bytes!("../../snapshot/genai-prices_2026-08-21.json.gz");
static MODELS_DEV: &[u8] = include_bytes!("../../snapshot/models-dev_2025-11-18.json.gz");

fn inflate(compressed: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(compressed.len() * 8);
    flate2::read::GzDecoder::new(compressed).read_to_end(&mut out)?;
    Ok(out)
}

/// The bundled `GET /models` body: text models, or every output modality.
pub fn openrouter_models(all_modalities: bool) -> std::io::Result<Vec<u8>> {
    inflate(if all_modalities { OPENROUTER_ALL } else { OPENROUTER_TEXT })
}

/// The bundled data of a source and the date (or version) it is from.
pub fn bundled(source: Source, all_modalities: bool) -> std::io::Result<(Vec<u8>, &'static str)> {
    Ok(match source {
        Source::Openrouter => (openrouter_models(all_modalities)?, OPENROUTER_SNAPSHOT_DATE),
        Source::Litellm => (inflate(LITELLM)?, "litellm 1.109.1"),
        Source::GenaiPrices => (inflate(GENAI_PRICES)?, "2026-08-21"),
        Source::ModelsDev => (inflate(MODELS_DEV)?, "2025-11-18"),
        Source::Overrides => {
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, "overrides are a local file, not bundled"));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::openrouter;

    #[test]
    fn bundled_catalogs_parse() {
        let text = openrouter::parse_models(&openrouter_models(false).expect("inflates")).expect("parses");
        assert_eq!(text.len(), 414);
        let all = openrouter::parse_models(&openrouter_models(true).expect("inflates")).expect("parses");
        assert_eq!(all.len(), 549);
    }
}
