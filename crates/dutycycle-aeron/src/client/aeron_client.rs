//! [`AeronClient`]: an Aeron client owned by one agent, its conductor driven by that agent.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

use rusteron_client::{Aeron, AeronCError, AeronContext, AeronErrorHandlerCallback};

use crate::driver::dir::{c_path, driver_active};
use crate::slot::image_router::ImageRouter;
use crate::{events, AeronCallError, ClientConfig, ClientError, ConductorMode};

/// An Aeron client (`aeron_t`) owned by one agent: made, used and closed on the agent's thread.
///
/// rusteron's client handles are `Rc`-based, neither `Send` nor `Sync`, and so is this type:
/// the compiler keeps it on the thread that made it. Make it in a runner's factory or in
/// `on_start`, keep it and everything added through it in the agent, close it in `on_close`.
/// No other thread can then close it under the agent's feet — the crash of an Aeron gateway
/// polling egress while another thread closes its client cannot be written.
///
/// With [`ConductorMode::Invoker`] (the default) Aeron starts no conductor thread:
/// [`do_work`](AeronClient::do_work) runs the conductor (`aeron_main_do_work`) from the agent's
/// duty cycle, so one thread runs the conductor and the application, and image and error
/// callbacks run on it in order with the agent's own work. With [`ConductorMode::Thread`]
/// Aeron's own thread runs it and `do_work` only passes on what it reported.
///
/// Add publications and subscriptions without blocking the duty cycle through a
/// [`PublicationSlot`](crate::PublicationSlot) or a
/// [`SubscriptionSlot`](crate::SubscriptionSlot) (Aeron's asynchronous add, polled each cycle).
///
/// # Examples
///
/// ```
/// use dutycycle::{Agent, AgentError, AgentRunner};
/// use dutycycle_aeron::{AeronClient, Channel, ClientConfig, PublicationSlot};
/// # use dutycycle_aeron::{MediaDriverAgent, MediaDriverConfig};
///
/// struct Publisher { client: AeronClient, out: PublicationSlot }
///
/// impl Agent for Publisher {
///     fn role_name(&self) -> &str { "publisher" }
///     fn on_start(&mut self) -> Result<(), AgentError> {
///         Ok(self.out.add(&self.client)?) // returns at once; the slot is polled below
///     }
///     fn do_work(&mut self) -> Result<usize, AgentError> {
///         let mut work = self.client.do_work()?; // the client conductor, on this thread
///         work += self.out.poll()?;
///         if self.out.offer(b"tick").is_ok() { work += 1; }
///         Ok(work)
///     }
///     fn on_close(&mut self) -> Result<(), AgentError> {
///         self.out.close()?; // on this thread, before the client
///         Ok(())
///     }
/// }
///
/// # let driver_config = MediaDriverConfig::new();
/// # let dir = driver_config.aeron_dir().to_owned();
/// # let driver = AgentRunner::start(move || Ok(MediaDriverAgent::launch(driver_config)?))?;
/// let config = ClientConfig::new().dir(dir); // the media driver's directory
/// let runner = AgentRunner::start(move || {
///     let client = AeronClient::connect(&config)?; // on the agent thread
///     Ok(Publisher { client, out: PublicationSlot::new(Channel::ipc(), 1001) })
/// })?;
/// let report = runner.close()?; // on_close and drop ran on the agent thread
/// assert!(report.is_clean());
/// # driver.close()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AeronClient {
    aeron: Aeron,
    dir: PathBuf,
    mode: ConductorMode,
    errors: Receiver<AeronCallError>,
    image_router: Arc<ImageRouter>,
    closed_reported: bool,
}

impl AeronClient {
    /// Connects to the media driver named by `config`, on the calling thread.
    ///
    /// Aeron's own connect waits up to the driver timeout for a driver to appear; this checks
    /// first and returns [`ClientError::NoDriver`] at once when there is none, so a duty cycle
    /// or a start-up never stalls on a missing driver. A driver that is starting (launched,
    /// before its first duty cycle) already counts as active.
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidSetting`], [`ClientError::NoDriver`], or
    /// [`ClientError::Aeron`] when Aeron refuses.
    pub fn connect(config: &ClientConfig) -> Result<AeronClient, ClientError> {
        events::client_connecting(config.dir.as_deref());
        let connected = Self::connect_checked(config);
        match &connected {
            Ok(client) => events::client_connected(&client.dir, client.client_id()),
            Err(error) => events::client_connect_failed(error),
        }
        connected
    }

    /// [`connect`](AeronClient::connect) but for its events.
    fn connect_checked(config: &ClientConfig) -> Result<AeronClient, ClientError> {
        config.validate()?;
        let aeron_err = |call| move |e: AeronCError| ClientError::Aeron(AeronCallError::client(call, e));
        let context = AeronContext::new().map_err(aeron_err("aeron_context_init"))?;
        let set = aeron_err("aeron_context_set_*");
        if let Some(dir) = config.dir.as_deref().and_then(c_path) {
            context.set_dir(&dir).map_err(set)?;
        }
        if let Some(name) = &config.client_name {
            let name = std::ffi::CString::new(name.as_str()).map_err(|_| ClientError::InvalidSetting {
                setting: "client_name",
                value: format!("{name:?}"),
                reason: "must not contain NUL bytes".to_owned(),
            })?;
            context.set_client_name(&name).map_err(set)?;
        }
        if let Some(timeout) = config.driver_timeout {
            context
                .set_driver_timeout_ms(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX))
                .map_err(set)?;
        }
        context.set_pre_touch_mapped_memory(config.pre_touch_mapped_memory).map_err(set)?;
        context.set_use_conductor_agent_invoker(config.conductor == ConductorMode::Invoker).map_err(set)?;

        // The conductor reports asynchronous errors through this handler: on the agent thread
        // with the invoker, on Aeron's conductor thread otherwise, hence a channel. Errors are
        // rare; the channel costs the duty cycle one empty `try_recv` per cycle.
        let (sender, errors) = mpsc::channel();
        let image_router = Arc::new(ImageRouter::default());
        let handler = ConductorErrors { errors: sender, _image_router: Arc::clone(&image_router) };
        context.set_error_handler(Some(handler)).map_err(set)?;

        let dir = PathBuf::from(context.get_dir());
        let timeout = Duration::from_millis(context.get_driver_timeout_ms());
        if !driver_active(&dir, timeout) {
            return Err(ClientError::NoDriver { dir });
        }
        let aeron = Aeron::new(&context).map_err(aeron_err("aeron_init"))?;
        aeron.start().map_err(aeron_err("aeron_start"))?;
        Ok(AeronClient { aeron, dir, mode: config.conductor, errors, image_router, closed_reported: false })
    }

    /// One turn of the client's duty: with [`ConductorMode::Invoker`], one conductor duty
    /// cycle (which may fire image callbacks, on this thread); then one error the conductor
    /// reported, if any. Returns the conductor's work count. Call it regularly from the owning
    /// agent's duty cycle ([`AeronAgent`](crate::AeronAgent) does, on its
    /// [`DutyCadence`](crate::DutyCadence)): keep-alives, adds and image events wait for it.
    ///
    /// # Errors
    ///
    /// [`ClientError::Conductor`] for an error the conductor reported (one per call, in order);
    /// [`ClientError::Closed`] once when the client has closed itself (it lost its driver);
    /// [`ClientError::Aeron`] when the conductor's duty cycle fails.
    #[inline]
    pub fn do_work(&mut self) -> Result<usize, ClientError> {
        if self.closed_reported {
            return Ok(0);
        }
        let mut work = 0;
        if self.mode == ConductorMode::Invoker {
            match self.aeron.main_do_work() {
                Ok(n) => work = usize::try_from(n).unwrap_or(0),
                Err(e) if !self.aeron.is_closed() => {
                    return Err(ClientError::Aeron(AeronCallError::client("aeron_main_do_work", e)))
                }
                Err(_) => {}
            }
        }
        if let Ok(error) = self.errors.try_recv() {
            return Err(ClientError::Conductor(error));
        }
        if self.aeron.is_closed() {
            self.closed_reported = true;
            events::client_lost_driver(&self.dir);
            return Err(ClientError::Closed { dir: self.dir.clone() });
        }
        Ok(work)
    }

    /// The rusteron client, for what this crate does not wrap (counters, exclusive claims,
    /// ...). Everything made from it is bound to this thread, like the client.
    pub fn aeron(&self) -> &Aeron {
        &self.aeron
    }

    /// The router of the image events of the subscriptions added through this client.
    pub(crate) fn image_router(&self) -> &Arc<ImageRouter> {
        &self.image_router
    }

    /// The media driver directory the client is connected to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Who runs the conductor.
    pub fn conductor_mode(&self) -> ConductorMode {
        self.mode
    }

    /// The client id the driver gave this client.
    pub fn client_id(&self) -> i64 {
        self.aeron.client_id()
    }

    /// Whether the client has closed itself (lost its driver).
    pub fn is_closed(&self) -> bool {
        self.aeron.is_closed()
    }

    /// Closes the client, on this thread. Close its publications and subscriptions first
    /// (their slots' `close`): rusteron defers the C close of a client until the last handle
    /// made from it has dropped.
    ///
    /// # Errors
    ///
    /// [`ClientError::Aeron`] when Aeron's close fails.
    pub fn close(self) -> Result<(), ClientError> {
        events::client_closing(&self.dir);
        let closed =
            self.aeron.close().map_err(|e| ClientError::Aeron(AeronCallError::client("aeron_close", e)));
        events::client_closed(&self.dir, closed.is_ok());
        closed
    }
}

impl fmt::Debug for AeronClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AeronClient")
            .field("dir", &self.dir)
            .field("conductor", &self.mode)
            .field("closed", &self.aeron.is_closed())
            .finish()
    }
}

/// The client context's error handler: queues what the conductor reports for
/// [`AeronClient::do_work`]. It also holds the client's [`ImageRouter`], which must live as
/// long as the C client (Aeron calls it for image events until the client is closed): the
/// context holds this handler until it is dropped, and rusteron drops a client's context only
/// after closing the client (`aeron_close`, which stops the conductor).
struct ConductorErrors {
    errors: Sender<AeronCallError>,
    _image_router: Arc<ImageRouter>,
}

impl AeronErrorHandlerCallback for ConductorErrors {
    fn handle_aeron_error_handler(&mut self, code: i32, message: &str) {
        let _ = self.errors.send(AeronCallError::reported("aeron client conductor", code, message));
    }
}
