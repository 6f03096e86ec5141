//! The response body on its way to the client: every chunk is passed on the moment it
//! arrives, unchanged, while a copy is scanned for the usage. When the usage has been seen
//! (or the body ends, fails, or the client goes away) the request is priced and recorded,
//! exactly once, before the chunk that completes it is handed on.

use super::ProxyState;
use crate::server::CatalogSnapshot;
use crate::track::meter::has_usage_object;
use crate::track::{ResponseFacts, UsageRecord, meter};
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use rust_decimal::prelude::ToPrimitive;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

/// Largest JSON body or SSE line kept for reading the usage (bigger ones pass through unread).
const MAX_KEPT: usize = 16 * 1024 * 1024;

/// How the body is read for usage.
pub(super) enum Scanner {
    /// A JSON body, kept until it is complete (`expected` bytes when the length is known).
    Json { buf: Vec<u8>, expected: Option<u64>, seen: u64, overflow: bool },
    /// A server-sent event stream, read line by line.
    Sse { partial: Vec<u8>, overflow: bool },
    /// Finished.
    Done,
}

impl Scanner {
    /// A scanner for a body of this content type and length.
    pub(super) fn new(event_stream: bool, content_length: Option<u64>) -> Scanner {
        if event_stream {
            Scanner::Sse { partial: Vec::new(), overflow: false }
        } else {
            let capacity = content_length.and_then(|n| usize::try_from(n).ok()).unwrap_or(0).min(MAX_KEPT);
            Scanner::Json { buf: Vec::with_capacity(capacity), expected: content_length, seen: 0, overflow: false }
        }
    }

    /// Read one more chunk; the usage facts once they are known.
    fn feed(&mut self, chunk: &[u8]) -> Option<ResponseFacts> {
        match self {
            Scanner::Json { buf, expected, seen, overflow } => {
                *seen += chunk.len() as u64;
                if buf.len() + chunk.len() <= MAX_KEPT {
                    buf.extend_from_slice(chunk);
                } else {
                    *overflow = true;
                }
                (*expected == Some(*seen)).then(|| self.finish())
            }
            Scanner::Sse { partial, overflow } => {
                let mut rest = chunk;
                while let Some(nl) = rest.iter().position(|b| *b == b'\n') {
                    let (head, tail) = rest.split_at(nl);
                    rest = &tail[1..];
                    let found = if partial.is_empty() {
                        sse_line(head)
                    } else {
                        partial.extend_from_slice(head);
                        let line = std::mem::take(partial);
                        let skip = std::mem::take(overflow);
                        if skip { None } else { sse_line(&line) }
                    };
                    if let Some(facts) = found {
                        *self = Scanner::Done;
                        return Some(facts);
                    }
                }
                if partial.len() + rest.len() <= MAX_KEPT {
                    partial.extend_from_slice(rest);
                } else {
                    partial.clear();
                    *overflow = true;
                }
                None
            }
            Scanner::Done => None,
        }
    }

    /// The body ended (or was cut off): whatever usage it carried.
    fn finish(&mut self) -> ResponseFacts {
        match std::mem::replace(self, Scanner::Done) {
            Scanner::Json { overflow: true, .. } => {
                ResponseFacts { usage_error: Some("response too large to read its usage".into()), ..Default::default() }
            }
            Scanner::Json { buf, .. } => ResponseFacts::from_json(&buf),
            Scanner::Sse { partial, .. } => match sse_line(&partial) {
                Some(f) => f,
                None => ResponseFacts { usage_error: Some("the stream carried no usage".into()), ..Default::default() },
            },
            Scanner::Done => ResponseFacts::default(),
        }
    }
}

/// The usage facts of one SSE line, when it is a `data:` event carrying a usage object.
fn sse_line(line: &[u8]) -> Option<ResponseFacts> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let payload = line.strip_prefix(b"data:")?;
    let payload = payload.strip_prefix(b" ").unwrap_or(payload);
    has_usage_object(payload).then(|| ResponseFacts::from_json(payload))
}

/// What is needed to record the request once its usage is known.
pub(super) struct Pending {
    /// Shared proxy state (writer, budgets).
    pub state: ProxyState,
    /// The catalog to price with.
    pub snapshot: Option<Arc<CatalogSnapshot>>,
    /// The record so far (time, endpoint, model as sent, status, tags).
    pub record: UsageRecord,
    /// The pricing hint of the upstream.
    pub provider_hint: Option<String>,
    /// When the request arrived.
    pub started: Instant,
}

impl Pending {
    /// Price and record the request.
    pub(super) fn complete(self, facts: ResponseFacts) {
        let Pending { state, snapshot, mut record, provider_hint, started } = self;
        record.latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let model = facts.model.as_deref().or(record.model_requested.as_deref()).map(str::to_string);
        let metered = match &snapshot {
            Some(s) => meter(&s.book, model.as_deref(), provider_hint.as_deref(), facts.usage.as_ref()),
            None => {
                let mut m = meter(&crate::cost::PriceBook::default(), None, None, facts.usage.as_ref());
                m.error = Some("the catalog is not loaded".into());
                m
            }
        };
        if let Some(id) = facts.id {
            record.request_id = id;
        }
        record.provider = facts.provider.or(record.provider);
        record.model = metered.model.or(model);
        record.offer_key = metered.offer_key;
        record.usage = facts.usage.unwrap_or_else(|| crate::cost::Usage { requests: 1, ..Default::default() });
        record.cost = metered.cost;
        record.cost_source = metered.source;
        record.provider_cost = metered.provider_cost;
        record.engine_cost = metered.engine_cost;
        record.pricing_error = metered.error.or(facts.usage_error);
        if let Some(cost) = record.cost {
            state.budgets.add(&record.tags, cost, record.at);
        }
        count(&record);
        state.writer.record(record);
    }
}

/// Prometheus counters of requests, tokens and dollars by model.
pub(super) fn count(record: &UsageRecord) {
    let model = record.model.clone().or_else(|| record.model_requested.clone()).unwrap_or_else(|| "unknown".into());
    metrics::counter!("llmcost_proxy_requests_total", "model" => model.clone(), "status" => record.status.to_string())
        .increment(1);
    for bucket in crate::cost::Bucket::ALL {
        let n = record.usage.quantity(bucket);
        if n > 0 && bucket != crate::cost::Bucket::Requests {
            metrics::counter!("llmcost_proxy_tokens_total", "model" => model.clone(), "bucket" => bucket.as_str())
                .increment(n);
        }
    }
    if let Some(cost) = record.cost.and_then(|c| c.to_f64()) {
        // Counters of the metrics facade are integers: dollars are a monotonic f64 gauge.
        metrics::gauge!("llmcost_proxy_spend_usd_total", "model" => model, "source" => record.cost_source.as_str())
            .increment(cost);
    }
}

/// The upstream's body, passed on frame by frame while it is read for usage.
pub(super) struct Tap<B> {
    inner: B,
    scanner: Scanner,
    pending: Option<Pending>,
}

impl<B> Tap<B> {
    /// Wrap a body.
    pub(super) fn new(inner: B, scanner: Scanner, pending: Pending) -> Self {
        Self { inner, scanner, pending: Some(pending) }
    }

    fn complete(&mut self, facts: ResponseFacts) {
        if let Some(p) = self.pending.take() {
            p.complete(facts);
        }
    }
}

impl<B> HttpBody for Tap<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if this.pending.is_some() {
                    if let Some(facts) = frame.data_ref().and_then(|chunk| this.scanner.feed(chunk)) {
                        this.complete(facts);
                    }
                }
            }
            Poll::Ready(Some(Err(_)) | None) => {
                let facts = this.scanner.finish();
                this.complete(facts);
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for Tap<B> {
    fn drop(&mut self) {
        // The client went away before the end: record what was seen.
        if self.pending.is_some() {
            let facts = self.scanner.finish();
            self.complete(facts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_usage_is_found_across_chunk_boundaries() {
        let stream = b"data: {\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\n\n\
data: {\"id\":\"gen-1\",\"model\":\"openai/gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":29,\"completion_tokens\":33,\"total_tokens\":62}}\n\n\
data: [DONE]\n\n";
        for split in [1, 7, 40, 90, 120, stream.len() - 3] {
            let mut s = Scanner::new(true, None);
            let (a, b) = stream.split_at(split);
            let found = s.feed(a).or_else(|| s.feed(b)).expect("usage found");
            assert_eq!(found.usage.map(|u| (u.input, u.output)), Some((29, 33)), "split at {split}");
        }
    }

    #[test]
    fn json_body_completes_at_its_length() {
        let body = br#"{"model":"m","usage":{"prompt_tokens":1,"completion_tokens":2}}"#;
        let mut s = Scanner::new(false, Some(body.len() as u64));
        assert!(s.feed(&body[..10]).is_none());
        let f = s.feed(&body[10..]).expect("complete");
        assert_eq!(f.usage.map(|u| u.output), Some(2));
    }
}
