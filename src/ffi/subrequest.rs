//! Fetching a key set with an in-memory subrequest (`auth_jwt_key_request`), as nginx's own
//! auth_request module fetches its answer: the user's location does the HTTP, the module reads
//! the response body from memory when the subrequest finishes.
//!
//! One fetch serves every request of the worker that needs the same key set at the same time:
//! the request that starts it is its parent (nginx resumes it when the subrequest is done), the
//! others are [`Flight`] waiters, whose write events are posted when it ends. A fetch ends in
//! one of two ways: the subrequest finishes (its post handler runs), or the request that
//! started it goes away first (its pool, which holds the fetch's context, is destroyed), in
//! which case the waiters are woken to try again.

use core::cell::{Cell, RefCell};
use core::ffi::c_void;
use core::ptr::{self, NonNull};
use std::rc::Rc;

use ngx::ffi::{
    ngx_connection_t, ngx_http_headers_in_t, ngx_http_post_subrequest_t, ngx_http_request_body_t,
    ngx_http_request_t, ngx_http_subrequest, ngx_int_t, ngx_post_event, ngx_posted_events,
    ngx_str_t, ngx_uint_t, u_char, NGX_ERROR, NGX_HTTP_CLIENT_CLOSED_REQUEST,
    NGX_HTTP_SUBREQUEST_BACKGROUND, NGX_HTTP_SUBREQUEST_IN_MEMORY, NGX_HTTP_SUBREQUEST_WAITED,
    NGX_OK,
};
use ngx::http::Request;

use super::log::Log;
use super::{guarded, NginxFailed};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FlightState {
    Running,
    Done,
    Abandoned,
}

/// A request waiting for a fetch it did not start, while `listening` is set (the request's
/// own state clears it when the request no longer waits or goes away).
struct Waiter {
    request: NonNull<ngx_http_request_t>,
    listening: Rc<Cell<bool>>,
}

/// One fetch of a key set, and the requests waiting for it.
pub struct Flight<T> {
    state: Cell<FlightState>,
    waiters: RefCell<Vec<Waiter>>,
    /// What the caller needs to know when the fetch ends (which URI, which fetch).
    pub about: T,
}

impl<T> Flight<T> {
    pub fn new(about: T) -> Rc<Flight<T>> {
        Rc::new(Flight {
            state: Cell::new(FlightState::Running),
            waiters: RefCell::default(),
            about,
        })
    }

    /// Whether the fetch is still under way.
    pub fn is_running(&self) -> bool {
        self.state.get() == FlightState::Running
    }

    /// Has `request` resumed when the fetch ends, while `listening` stays set.
    pub fn add_waiter(&self, request: &Request, listening: Rc<Cell<bool>>) {
        let request = NonNull::from(request.as_ref()).cast::<ngx_http_request_t>();
        if let Ok(mut waiters) = self.waiters.try_borrow_mut() {
            waiters.push(Waiter { request, listening });
        }
    }

    fn end(&self, state: FlightState) {
        if self.state.replace(state) != FlightState::Running {
            return;
        }
        let waiters = self.waiters.take();
        for waiter in waiters.iter().filter(|waiter| waiter.listening.get()) {
            // SAFETY: a listening waiter's request is alive (its state clears the flag when the
            // request pool is destroyed) and waits in the ACCESS phase: posting its connection's
            // write event makes nginx run its phases again, on this thread, after this handler.
            unsafe {
                let connection = (*waiter.request.as_ptr()).connection;
                ngx_post_event((*connection).write, ptr::addr_of_mut!(ngx_posted_events));
            }
        }
    }
}

/// What a finished subrequest brought back.
pub struct Response<'a> {
    /// The response status; 0 when there was none.
    pub status: usize,
    /// The body, as the in-memory subrequest collected it.
    pub body: Option<&'a [u8]>,
    /// The `Content-Encoding` of the response, if any.
    pub content_encoding: Option<&'a [u8]>,
    /// The subrequest failed without a response (nginx has logged why, e.g. "too big
    /// subrequest response").
    pub failed: bool,
}

/// Called when a fetch's subrequest finishes, on the worker's thread, with the log of the
/// request that started it.
pub type OnFetched<T> = fn(log: Log, flight: &Flight<T>, response: &Response);

/// The post handler's data, in the starting request's pool.
struct FetchContext<T> {
    flight: Rc<Flight<T>>,
    on_fetched: OnFetched<T>,
    /// The parent does not wait for this fetch (it may be sending its own answer meanwhile).
    background: bool,
}

impl<T> Drop for FetchContext<T> {
    fn drop(&mut self) {
        // The starting request went away before its subrequest finished: nobody will report
        // this fetch, so its waiters must try again.
        self.flight.end(FlightState::Abandoned);
    }
}

/// Starts the fetch `flight` as a subrequest of `request` to `uri` (path, then `?args`).
/// A `background` fetch does not hold up `request`; otherwise nginx resumes `request` (in the
/// ACCESS phase, where it returned `NGX_AGAIN`) when the fetch ends.
pub fn start<T: 'static>(
    request: &mut Request,
    uri: &[u8],
    flight: Rc<Flight<T>>,
    background: bool,
    on_fetched: OnFetched<T>,
) -> Result<(), NginxFailed> {
    let pool = request.pool();
    let (path, args) = match uri.iter().position(|&b| b == b'?') {
        Some(at) => (&uri[..at], &uri[at + 1..]),
        None => (uri, &uri[uri.len()..]),
    };
    let mut path = pool_str(request, path)?;
    let mut args = pool_str(request, args)?;
    // `allocate` registers a cleanup that drops the context with the pool (see FetchContext's
    // Drop).
    let context = pool.allocate(FetchContext { flight, on_fetched, background });
    let post = pool.calloc_type::<ngx_http_post_subrequest_t>();
    let body = pool.calloc_type::<ngx_http_request_body_t>();
    if context.is_null() || post.is_null() || body.is_null() {
        return Err(NginxFailed);
    }
    let flags = NGX_HTTP_SUBREQUEST_IN_MEMORY
        | if background { NGX_HTTP_SUBREQUEST_BACKGROUND } else { NGX_HTTP_SUBREQUEST_WAITED };
    let mut subrequest: *mut ngx_http_request_t = ptr::null_mut();
    // SAFETY: `post` is a zeroed post-subrequest structure of the request pool, filled here;
    // the strings live in the request pool, as long as the subrequest. nginx makes the
    // subrequest a GET; an empty request body keeps the parent's body from being sent along.
    unsafe {
        (*post).handler = Some(post_fetch::<T>);
        (*post).data = context.cast();
        let rc = ngx_http_subrequest(
            request.into(),
            &mut path,
            if args.len == 0 { ptr::null_mut() } else { &mut args },
            &mut subrequest,
            post,
            flags as ngx_uint_t,
        );
        if rc != NGX_OK as ngx_int_t || subrequest.is_null() {
            return Err(NginxFailed);
        }
        (*subrequest).request_body = body;
        forget_request_body(&mut (*subrequest).headers_in);
    }
    Ok(())
}

/// The fetch is a GET without a body, but nginx gives a subrequest a copy of the parent's
/// request headers: the headers that announce the parent's body (a POST's) must not reach the
/// identity provider, which would wait for a body that never comes. The copy is the
/// subrequest's own; the parent keeps its headers.
fn forget_request_body(headers: &mut ngx_http_headers_in_t) {
    headers.content_length = ptr::null_mut();
    headers.content_length_n = -1;
    headers.transfer_encoding = ptr::null_mut();
    headers.set_chunked(0);
}

/// Whether an output filter refused the fetch's response body: nginx's in-memory collection
/// does when the body is larger than `subrequest_output_buffer_size` ("too big subrequest
/// response"). It then marks the connection, which the subrequest shares with the client, as
/// failed, and nginx would close the client's connection without an answer as the subrequest
/// ends, although nothing went wrong with it. A parent waiting in the ACCESS phase has sent
/// nothing on it yet, so the mark is cleared and the parent answers 500 like for any failed
/// fetch. A background fetch's parent may be writing its own answer: a mark there may be
/// the client's, and stays.
fn refused_in_memory(connection: &mut ngx_connection_t, background: bool) -> bool {
    if connection.error() == 0 {
        return false;
    }
    if !background {
        connection.set_error(0);
    }
    true
}

fn pool_str(request: &Request, bytes: &[u8]) -> Result<ngx_str_t, NginxFailed> {
    let data = request.pool().alloc_unaligned(bytes.len().max(1)).cast::<u_char>();
    if data.is_null() {
        return Err(NginxFailed);
    }
    // SAFETY: `data` has room for `bytes.len()` bytes.
    unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), data, bytes.len()) };
    Ok(ngx_str_t { len: bytes.len(), data })
}

/// The subrequest's post handler: reports the response, ends the flight.
unsafe extern "C" fn post_fetch<T>(
    subrequest: *mut ngx_http_request_t,
    data: *mut c_void,
    rc: ngx_int_t,
) -> ngx_int_t {
    guarded(NGX_OK as ngx_int_t, || {
        // SAFETY: `data` is the FetchContext registered with this handler, alive in the parent's
        // pool; nginx passes the finished subrequest, whose response (headers and the in-memory
        // body in `out`) is still in place.
        let (context, sr) = unsafe { (&*data.cast::<FetchContext<T>>(), &*subrequest) };
        if rc == NGX_HTTP_CLIENT_CLOSED_REQUEST as ngx_int_t {
            // The client of the request that started the fetch went away, and nginx stopped
            // the fetch with it: the identity provider did not fail, there is nothing to
            // record, and the waiters are woken to fetch again. nginx goes on ending the parent.
            context.flight.end(FlightState::Abandoned);
            return rc;
        }
        // SAFETY: the body buffer, where there is one, lies between `pos` and `last`.
        let body = unsafe {
            sr.out.as_ref().and_then(|out| out.buf.as_ref()).map(|buf| {
                let len = usize::try_from(buf.last.offset_from(buf.pos)).unwrap_or(0);
                core::slice::from_raw_parts(buf.pos, len)
            })
        };
        // SAFETY: a non-null header element of the subrequest's response is valid.
        let content_encoding =
            unsafe { sr.headers_out.content_encoding.as_ref() }.map(|h| h.value.as_bytes());
        let status = match usize::try_from(rc) {
            Ok(code @ 100..=999) => code,
            _ => sr.headers_out.status,
        };
        // SAFETY: the subrequest's connection is the parent's, valid on this thread.
        let filter_failed = unsafe { refused_in_memory(&mut *sr.connection, context.background) };
        let response = Response {
            status,
            body,
            content_encoding,
            failed: rc == NGX_ERROR as ngx_int_t || filter_failed,
        };
        // SAFETY: the connection log of the subrequest is the parent's, valid on this thread.
        if let Some(log) = unsafe { Log::from_raw((*sr.connection).log) } {
            (context.on_fetched)(log, &context.flight, &response);
        }
        context.flight.end(FlightState::Done);
        // The outcome is the module's to report (a 500 for the requests that need the keys):
        // nginx must not end the parent request because the fetch failed.
        NGX_OK as ngx_int_t
    })
}
