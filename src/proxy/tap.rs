//! The response body on its way to the client: every chunk is passed on the moment it
//! arrives, unchanged, while a copy is kept to read the usage. When the usage has been seen
//! (or the body ends, fails, or the client goes away) the request is priced and recorded,
//! exactly once: in a task of its own that runs once the chunk completing it is on its way
//! (reading, pricing and recording then add nothing to the client's wait), or before that
//! chunk is handed on when a budget covers the request, so that the next request is checked
//! against a spend that includes this one.

use super::{ProxyState, Upstream};
use crate::server::CatalogSnapshot;
use crate::track::meter::has_usage_object;
use crate::track::{Endpoint, ResponseFacts, UsageRecord, UsageTags, meter};
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use rust_decimal::prelude::ToPrimitive;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

/// Largest JSON body or SSE line kept for reading the usage (bigger ones pass through unread).
const MAX_KEPT: usize = 16 * 1024 * 1024;

/// How the body is read for usage.
pub(super) enum Scanner {
    /// A JSON body, kept (chunks shared, not copied) until it is complete (`expected` bytes
    /// when the length is known).
    Json { chunks: Vec<Bytes>, kept: usize, expected: Option<u64>, seen: u64, overflow: bool },
    /// A server-sent event stream, read line by line.
    Sse { partial: Vec<u8>, overflow: bool },
    /// Finished.
    Done,
}

/// What a body showed of its usage, read in full when the request is settled.
pub(super) enum Finding {
    /// A whole JSON body, in its chunks.
    Json(Vec<Bytes>),
    /// The `data:` payload of the stream event that carried the usage.
    Event(Vec<u8>),
    /// Known already (a stream without usage, a body too large, a failed request).
    Facts(Box<ResponseFacts>),
}

impl Finding {
    /// The usage facts.
    fn facts(self) -> ResponseFacts {
        match self {
            Finding::Json(chunks) if chunks.len() == 1 => ResponseFacts::from_json(&chunks[0]),
            Finding::Json(chunks) => ResponseFacts::from_json(&chunks.concat()),
            Finding::Event(payload) => ResponseFacts::from_json(&payload),
            Finding::Facts(facts) => *facts,
        }
    }
}

impl Scanner {
    /// A scanner for a body of this content type and length.
    pub(super) fn new(event_stream: bool, content_length: Option<u64>) -> Scanner {
        if event_stream {
            Scanner::Sse { partial: Vec::new(), overflow: false }
        } else {
            Scanner::Json { chunks: Vec::new(), kept: 0, expected: content_length, seen: 0, overflow: false }
        }
    }

    /// Read one more chunk; what it found once the usage is known.
    fn feed(&mut self, chunk: &Bytes) -> Option<Finding> {
        match self {
            Scanner::Json { chunks, kept, expected, seen, overflow } => {
                *seen += chunk.len() as u64;
                if *kept + chunk.len() <= MAX_KEPT {
                    *kept += chunk.len();
                    chunks.push(chunk.clone());
                } else {
                    *overflow = true;
                }
                (*expected == Some(*seen)).then(|| self.finish())
            }
            Scanner::Sse { partial, overflow } => {
                let mut rest = &chunk[..];
                while let Some(nl) = rest.iter().position(|b| *b == b'\n') {
                    let (head, tail) = rest.split_at(nl);
                    rest = &tail[1..];
                    let found = if partial.is_empty() {
                        usage_event(head).map(<[u8]>::to_vec)
                    } else {
                        partial.extend_from_slice(head);
                        let line = std::mem::take(partial);
                        let skip = std::mem::take(overflow);
                        if skip { None } else { usage_event(&line).map(<[u8]>::to_vec) }
                    };
                    if let Some(payload) = found {
                        *self = Scanner::Done;
                        return Some(Finding::Event(payload));
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
    fn finish(&mut self) -> Finding {
        let no_usage =
            |why: &str| Finding::Facts(Box::new(ResponseFacts { usage_error: Some(why.into()), ..Default::default() }));
        match std::mem::replace(self, Scanner::Done) {
            Scanner::Json { overflow: true, .. } => no_usage("response too large to read its usage"),
            Scanner::Json { chunks, .. } => Finding::Json(chunks),
            Scanner::Sse { partial, .. } => match usage_event(&partial) {
                Some(payload) => Finding::Event(payload.to_vec()),
                None => no_usage("the stream carried no usage"),
            },
            Scanner::Done => Finding::Facts(Box::default()),
        }
    }
}

/// The payload of one SSE line, when it is a `data:` event carrying a usage object.
fn usage_event(line: &[u8]) -> Option<&[u8]> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let payload = line.strip_prefix(b"data:")?;
    let payload = payload.strip_prefix(b" ").unwrap_or(payload);
    has_usage_object(payload).then_some(payload)
}

static REQUEST_SEQ: AtomicU64 = AtomicU64::new(0);

/// A forwarded request waiting to be priced and recorded once its usage is known.
pub(super) struct Pending {
    /// Shared proxy state (catalog, writer, budgets).
    pub state: ProxyState,
    /// Where it went.
    pub upstream: Arc<Upstream>,
    /// When it arrived (Unix ms).
    pub at: i64,
    /// When it arrived, for its latency.
    pub started: Instant,
    /// The API called.
    pub endpoint: Endpoint,
    /// The model the client asked for.
    pub model_requested: Option<String>,
    /// Its tags.
    pub tags: UsageTags,
    /// The status answered.
    pub status: u16,
    /// Whether the answer is a stream.
    pub streamed: bool,
    /// The catalog to price with, taken before answering when a budget covers the request;
    /// `None` otherwise (the settling task takes it).
    pub snapshot: Option<Arc<CatalogSnapshot>>,
    /// Settle before the answer's last byte goes out: a budget covers this request.
    pub settle_first: bool,
}

/// The current catalog, or `None` (the request is then recorded unpriced).
pub(super) async fn snapshot(state: &ProxyState) -> Option<Arc<CatalogSnapshot>> {
    match state.cache.get().await {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "catalog unavailable: the request is recorded unpriced");
            None
        }
    }
}

impl Pending {
    /// Price and record the request: at once when a budget covers it, else in a task of its
    /// own, which runs after the task answering the client has handed on the last chunk.
    pub(super) fn settle(self, finding: Finding) {
        if !self.settle_first {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let snapshot = snapshot(&self.state).await;
                    self.complete(snapshot, finding.facts());
                });
                return;
            }
        }
        let snapshot = self.snapshot.clone();
        self.complete(snapshot, finding.facts());
    }

    fn complete(self, snapshot: Option<Arc<CatalogSnapshot>>, facts: ResponseFacts) {
        let Pending { state, upstream, at, started, endpoint, model_requested, tags, status, streamed, .. } = self;
        let model = facts.model.as_deref().or(model_requested.as_deref()).map(str::to_string);
        let provider_hint = upstream.provider.as_deref();
        let metered = match &snapshot {
            Some(s) => meter(&s.book, model.as_deref(), provider_hint, facts.usage.as_ref()),
            None => {
                let mut m = meter(&crate::cost::PriceBook::default(), None, None, facts.usage.as_ref());
                m.error = Some("the catalog is not loaded".into());
                m
            }
        };
        let record = UsageRecord {
            at,
            request_id: facts
                .id
                .unwrap_or_else(|| format!("llmcost-{at}-{}", REQUEST_SEQ.fetch_add(1, Ordering::Relaxed))),
            endpoint,
            model_requested,
            model: metered.model.or(model),
            offer_key: metered.offer_key,
            provider: facts.provider.or_else(|| upstream.provider.clone()),
            upstream: Some(upstream.provider.clone().unwrap_or_else(|| upstream.name.clone())),
            streamed,
            status,
            latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            usage: facts.usage.unwrap_or_else(|| crate::cost::Usage { requests: 1, ..Default::default() }),
            cost: metered.cost,
            cost_source: metered.source,
            provider_cost: metered.provider_cost,
            engine_cost: metered.engine_cost,
            pricing_error: metered.error.or(facts.usage_error),
            tags,
        };
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

    fn settle(&mut self, finding: Finding) {
        if let Some(p) = self.pending.take() {
            p.settle(finding);
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
                    if let Some(finding) = frame.data_ref().and_then(|chunk| this.scanner.feed(chunk)) {
                        this.settle(finding);
                    }
                }
            }
            Poll::Ready(Some(Err(_)) | None) => {
                let finding = this.scanner.finish();
                this.settle(finding);
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
            let finding = self.scanner.finish();
            self.settle(finding);
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
            let (a, b) = (Bytes::copy_from_slice(a), Bytes::copy_from_slice(b));
            let found = s.feed(&a).or_else(|| s.feed(&b)).expect("usage found").facts();
            assert_eq!(found.usage.map(|u| (u.input, u.output)), Some((29, 33)), "split at {split}");
        }
    }

    #[test]
    fn json_body_completes_at_its_length() {
        let body = br#"{"model":"m","usage":{"prompt_tokens":1,"completion_tokens":2}}"#;
        let mut s = Scanner::new(false, Some(body.len() as u64));
        assert!(s.feed(&Bytes::from_static(&body[..10])).is_none());
        let f = s.feed(&Bytes::from_static(&body[10..])).expect("complete").facts();
        assert_eq!(f.usage.map(|u| u.output), Some(2));
    }
}
