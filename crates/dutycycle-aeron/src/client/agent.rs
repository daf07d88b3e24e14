//! [`AeronAgent`] and [`ClientAgent`]: application logic and its Aeron client on one thread.

use std::fmt;

use dutycycle::{Agent, AgentError, IdleControl};

use super::agent_counters::AgentCounters;
use crate::cadence::CadenceState;
use crate::{AeronClient, ClientConfig, ClientError, DutyCadence};

/// Application logic that uses an Aeron client, run by an [`AeronAgent`]: the same contract
/// as [`Agent`], with the client passed in. The logic keeps its publications and
/// subscriptions (in [`PublicationSlot`](crate::PublicationSlot)s and
/// [`SubscriptionSlot`](crate::SubscriptionSlot)s); the agent keeps the client.
///
/// # Examples
///
/// ```
/// use dutycycle::AgentError;
/// use dutycycle_aeron::{AeronClient, Channel, ClientAgent, PublicationSlot};
///
/// /// Sends a heartbeat every duty cycle it can.
/// struct Heartbeat { out: PublicationSlot, beats: u64 }
///
/// impl ClientAgent for Heartbeat {
///     fn role_name(&self) -> &str { "heartbeat" }
///     fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
///         Ok(self.out.add(client)?)
///     }
///     fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
///         let mut work = self.out.poll()?;
///         if self.out.offer(&self.beats.to_le_bytes()).is_ok() {
///             self.beats += 1;
///             work += 1;
///         }
///         Ok(work)
///     }
///     fn on_close(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
///         Ok(self.out.close()?)
///     }
/// }
///
/// let logic = Heartbeat { out: PublicationSlot::new(Channel::ipc(), 9), beats: 0 };
/// assert_eq!(logic.role_name(), "heartbeat"); // run it with AeronAgent::connect(&config, logic)
/// ```
pub trait ClientAgent {
    /// Called once, after the client connected: start adding publications and
    /// subscriptions here (asynchronously: this must not wait for them).
    fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
        let _ = client;
        Ok(())
    }

    /// One turn of the duty cycle. The client's own turn (its conductor) follows it on the
    /// cycles its [`DutyCadence`] picks, so image events and completed adds reach the logic on
    /// a later cycle. Returns the work done.
    fn do_work(&mut self, client: &mut AeronClient) -> Result<usize, AgentError>;

    /// Called once when a graceful stop begins ([`Agent::on_drain`]): stop taking new work;
    /// the client still runs, and `do_work` goes on until [`is_drained`](ClientAgent::is_drained).
    fn on_drain(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
        let _ = client;
        Ok(())
    }

    /// Whether the logic holds no more work ([`Agent::is_drained`]; default `true`).
    fn is_drained(&self) -> bool {
        true
    }

    /// Called once at the end, before the client closes: close publications and
    /// subscriptions here.
    fn on_close(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
        let _ = client;
        Ok(())
    }

    /// The role name.
    fn role_name(&self) -> &str {
        "aeron-agent"
    }
}

/// An [`Agent`] that owns an Aeron client and runs [`ClientAgent`] logic with it, in this
/// order, on the agent's thread:
///
/// - `on_start`: the logic's `on_start` (the client is connected already: [`connect`] makes
///   it, in the runner's factory, so a missing driver fails `start` with a typed error);
/// - `do_work`: the logic's turn, then, on the cycles the agent's [`DutyCadence`] picks
///   (by default [`DutyCadence::CLIENT_DEFAULT`]: every 16th cycle, the first idle cycle after
///   the logic worked, and every cycle while the conductor has work), the client's turn
///   ([`AeronClient::do_work`]: with the conductor invoker, the client conductor itself); the
///   work is the sum. The first cycle always runs the client's turn. An error the client
///   reports goes to the runner's error handler, and the logic still gets its turn next cycle.
///   An error of the logic goes there too (the client's turn, when due, still runs first;
///   when it fails as well, the logic's error is returned and the client's is kept: the next
///   `do_work` returns it, before its turn, or `on_close` does if the agent ends first, so
///   that no error of the client is lost), except a [`ClientError`] that
///   [ends the agent](ClientError::ends_agent) (a failed add, under the slot's default
///   [`AddErrorPolicy`](crate::AddErrorPolicy)): that one ends the agent with
///   [`Ending::Failed`](dutycycle::Ending::Failed) and the add's error as the cause;
/// - `on_drain` and `is_drained`: the logic's, the client still running, so that a drain
///   (see [`Agent::on_drain`]) can still publish and poll;
/// - `on_close`: the agent's final figures into its counters, the logic's `on_close`
///   (closing its publications and subscriptions), then the agent's counters' close, then the
///   client's close. Each runs even if one before it fails; the first error among them is
///   returned, else an error of the client kept from the last cycle.
///
/// # Counters
///
/// From `on_start` to `on_close` the agent keeps Aeron counters in its driver's CnC file,
/// which Aeron's tools (AeronStat) read from outside the process; it adds, updates and closes
/// them on its own thread, through its client:
///
/// - its own duty-cycle statistics, one counter per figure, labelled `dutycycle duty cycles:
///   role=<role> thread=<thread>` (`total work`, `idle cycles`, `errors`, and with timing on
///   `max cycle ns` and `slow cycles`), type ids
///   [`DUTY_CYCLES_COUNTER_TYPE_ID`](crate::DUTY_CYCLES_COUNTER_TYPE_ID) to
///   [`SLOW_CYCLES_COUNTER_TYPE_ID`](crate::SLOW_CYCLES_COUNTER_TYPE_ID). The agent counts
///   them from its own `do_work` calls as the runner counts its duty cycles ([`DutyCycleStats`]):
///   a call that returned is a cycle, its work is summed, a call with no work or an error is
///   idle, an error (not a terminate) is an error. An agent the runner runs alone so has the
///   runner's figures; each `AeronAgent` of a [`CompositeAgent`](dutycycle::CompositeAgent)
///   has its own set, of its own calls (told apart by role). Which figures follow the
///   runner's [`Statistics`](dutycycle::Statistics) mode
///   ([`StatsReader::statistics`](dutycycle::StatsReader::statistics)): none when it is
///   `Off`; under `Timed` the agent times its own `do_work` (two clock reads per call), so
///   `max cycle ns` is its longest call and `slow cycles` its calls over the runner's
///   threshold, a part of the runner's cycle (which also holds the stop check and the other
///   sub-agents' turns; its own clock, so a figure may differ from the runner's by a clock
///   tick). Outside a runner (an
///   [`AgentInvoker`](dutycycle::AgentInvoker)) the counted figures. Off with
///   [`publish_stats(false)`](AeronAgent::publish_stats);
/// - with [`with_idle_control`](AeronAgent::with_idle_control), an idle control counter
///   (`dutycycle idle control: role=<role> thread=<thread>`) another process writes.
///
/// The key of every counter is the process id and the thread id (two little-endian `i64`).
/// The agent checks every 16th duty cycle whether they are due: the control is copied then,
/// the statistics at most every 100 ms, and the final figures when the agent closes (before
/// the logic's `on_close`). A duty cycle pays a few increments of the agent's own integers and
/// a branch (no atomics), and under `Timed` two clock reads.
///
/// [`DutyCycleStats`]: dutycycle::DutyCycleStats
///
/// # Examples
///
/// ```
/// use dutycycle::{AgentError, AgentRunner};
/// use dutycycle_aeron::{AeronAgent, AeronClient, Channel, ClientAgent, ClientConfig, SubscriptionSlot};
/// # use dutycycle_aeron::{MediaDriverAgent, MediaDriverConfig};
///
/// struct Counter { input: SubscriptionSlot, messages: u64 }
///
/// impl ClientAgent for Counter {
///     fn role_name(&self) -> &str { "counter" }
///     fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
///         Ok(self.input.add(client)?)
///     }
///     fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
///         let mut work = self.input.poll()?;
///         let messages = &mut self.messages;
///         work += self.input.poll_fn(|_, _| *messages += 1, 10)?;
///         Ok(work)
///     }
///     fn on_close(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
///         Ok(self.input.close()?)
///     }
/// }
///
/// # let driver_config = MediaDriverConfig::new();
/// # let dir = driver_config.aeron_dir().to_owned();
/// # let driver = AgentRunner::start(move || Ok(MediaDriverAgent::launch(driver_config)?))?;
/// let config = ClientConfig::new().dir(dir); // the media driver's directory
/// let runner = AgentRunner::start(move || {
///     let counter = Counter { input: SubscriptionSlot::new(Channel::ipc(), 1001), messages: 0 };
///     Ok(AeronAgent::connect(&config, counter)?) // connected on the agent thread
/// })?;
/// assert_eq!(runner.role(), "counter");
/// let report = runner.close()?; // the logic's on_close, then the client's, on the agent thread
/// assert!(report.is_clean());
/// # driver.close()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`connect`]: AeronAgent::connect
pub struct AeronAgent<A> {
    client: Option<AeronClient>,
    cadence: CadenceState,
    logic: A,
    counters: AgentCounters,
    /// An error of the client from a cycle whose logic failed too: the next `do_work` (or
    /// `on_close`) returns it. The client reports each error once (a conductor's error is
    /// taken off its queue, the loss of the driver is reported once), so dropping it would
    /// lose it.
    kept: Option<ClientError>,
}

impl<A: ClientAgent> AeronAgent<A> {
    /// Connects a client with `config` (on the calling thread: call it in the runner's
    /// factory) and pairs it with `logic`.
    ///
    /// # Errors
    ///
    /// As [`AeronClient::connect`].
    pub fn connect(config: &ClientConfig, logic: A) -> Result<Self, ClientError> {
        Ok(AeronAgent::with_client(AeronClient::connect(config)?, logic))
    }

    /// Pairs a client made on this thread with `logic`.
    pub fn with_client(client: AeronClient, logic: A) -> Self {
        AeronAgent {
            client: Some(client),
            cadence: CadenceState::new(DutyCadence::CLIENT_DEFAULT),
            logic,
            counters: AgentCounters::new(),
            kept: None,
        }
    }

    /// Whether the agent publishes its own duty-cycle statistics as Aeron counters
    /// (default `true`). See "Counters" above.
    ///
    /// # Examples
    ///
    /// ```
    /// # use dutycycle::{AgentError, AgentRunner};
    /// # use dutycycle_aeron::{AeronAgent, AeronClient, ClientAgent, ClientConfig};
    /// # use dutycycle_aeron::{MediaDriverAgent, MediaDriverConfig};
    /// # struct Quiet;
    /// # impl ClientAgent for Quiet {
    /// #     fn do_work(&mut self, _: &mut AeronClient) -> Result<usize, AgentError> { Ok(0) }
    /// # }
    /// # let driver_config = MediaDriverConfig::new();
    /// # let config = ClientConfig::new().dir(driver_config.aeron_dir());
    /// # let driver = AgentRunner::start(move || Ok(MediaDriverAgent::launch(driver_config)?))?;
    /// let runner = AgentRunner::start(move || {
    ///     Ok(AeronAgent::connect(&config, Quiet)?.publish_stats(false)) // no counters
    /// })?;
    /// assert!(runner.close()?.is_clean());
    /// # driver.close()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn publish_stats(mut self, publish: bool) -> Self {
        self.counters.set_publish_stats(publish);
        self
    }

    /// Binds `control` (the control of the runner's
    /// [`ControllableIdleStrategy`](dutycycle::ControllableIdleStrategy)) to an Aeron counter
    /// of type [`IDLE_CONTROL_COUNTER_TYPE_ID`](crate::IDLE_CONTROL_COUNTER_TYPE_ID), so that
    /// another process switches the strategy by writing an Agrona status value (1 no-op,
    /// 2 busy-spin, 3 yield, 4 park) into the counter. See "Counters" above.
    ///
    /// The strategy never reads the counter: the agent copies the counter into `control` on
    /// its own thread, and a status set on `control` in this process into the counter, so
    /// that the counter shows the mode in force.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{AgentError, AgentRunner, ControllableIdleStrategy, IdleControl, IdleMode};
    /// use dutycycle_aeron::{AeronAgent, AeronClient, ClientAgent, ClientConfig};
    /// # use dutycycle_aeron::{MediaDriverAgent, MediaDriverConfig};
    /// # struct Quiet;
    /// # impl ClientAgent for Quiet {
    /// #     fn do_work(&mut self, _: &mut AeronClient) -> Result<usize, AgentError> { Ok(0) }
    /// # }
    /// # let driver_config = MediaDriverConfig::new();
    /// # let config = ClientConfig::new().dir(driver_config.aeron_dir());
    /// # let driver = AgentRunner::start(move || Ok(MediaDriverAgent::launch(driver_config)?))?;
    ///
    /// let control = IdleControl::new(IdleMode::Park);
    /// let agents_control = control.clone();
    /// let runner = AgentRunner::builder()
    ///     .idle_strategy(ControllableIdleStrategy::with_control(control.clone()))
    ///     .start(move || Ok(AeronAgent::connect(&config, Quiet)?.with_idle_control(agents_control)))?;
    /// control.set_mode(IdleMode::Yield); // in this process; the counter follows
    /// assert_eq!(control.mode(), IdleMode::Yield);
    /// assert!(runner.close()?.is_clean());
    /// # driver.close()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_idle_control(mut self, control: IdleControl) -> Self {
        self.counters.set_control(control);
        self
    }

    /// Runs the client's turn on `cadence` instead of [`DutyCadence::CLIENT_DEFAULT`]
    /// ([`DutyCadence::EVERY_CYCLE`]: on every duty cycle).
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::AgentError;
    /// use dutycycle_aeron::{AeronAgent, AeronClient, ClientAgent, ClientConfig, DutyCadence};
    /// # use dutycycle_aeron::{MediaDriverAgent, MediaDriverConfig};
    ///
    /// struct Idle;
    /// impl ClientAgent for Idle {
    ///     fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> { Ok(0) }
    /// }
    ///
    /// # let driver_config = MediaDriverConfig::new();
    /// # let dir = driver_config.aeron_dir().to_owned();
    /// # let driver = MediaDriverAgent::launch(driver_config)?;
    /// let agent = AeronAgent::connect(&ClientConfig::new().dir(&dir), Idle)?;
    /// assert_eq!(agent.cadence(), DutyCadence::CLIENT_DEFAULT);
    /// let agent = agent.with_cadence(DutyCadence::every(64));
    /// assert_eq!(agent.cadence().interval(), 64);
    /// # drop(agent);
    /// # drop(driver);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_cadence(mut self, cadence: DutyCadence) -> Self {
        self.cadence = CadenceState::new(cadence);
        self
    }

    /// The cadence of the client's turn.
    pub fn cadence(&self) -> DutyCadence {
        self.cadence.cadence()
    }

    /// The logic.
    pub fn logic(&self) -> &A {
        &self.logic
    }

    /// The logic, mutably.
    pub fn logic_mut(&mut self) -> &mut A {
        &mut self.logic
    }

    /// The client, until the agent closes.
    pub fn client(&self) -> Option<&AeronClient> {
        self.client.as_ref()
    }
}

impl<A: ClientAgent> Agent for AeronAgent<A> {
    fn on_start(&mut self) -> Result<(), AgentError> {
        match self.client.as_mut() {
            Some(client) => {
                self.logic.on_start(client)?;
                Ok(self.counters.start(client, self.logic.role_name())?)
            }
            None => Err(AgentError::msg("the Aeron client is closed")),
        }
    }

    #[inline]
    fn do_work(&mut self) -> Result<usize, AgentError> {
        // The counters count every outcome of the turn (the closure borrows the client, the
        // logic and the cadence, not the counters).
        let (client, logic, cadence, kept) =
            (&mut self.client, &mut self.logic, &mut self.cadence, &mut self.kept);
        self.counters.on_cycle(|| {
            let Some(client) = client.as_mut() else { return Ok(0) };
            // Tested before it is taken: `take` alone stores `None` back on every cycle.
            if kept.is_some() {
                if let Some(error) = kept.take() {
                    return Err(error.into_agent_error());
                }
            }
            // A failing logic does not skip the client's turn: a logic that fails every cycle
            // (its errors handled with Continue) still has its keep-alives sent and its adds
            // completed. Its error is returned after the turn; the client's, if any, is kept
            // for the next cycle.
            let logic = logic.do_work(client).map_err(ends_agent);
            let work = *logic.as_ref().unwrap_or(&0);
            if !cadence.due(work) {
                return logic;
            }
            let conductor = client.do_work();
            cadence.ran(*conductor.as_ref().unwrap_or(&0));
            match (logic, conductor) {
                (Ok(logic), Ok(conductor)) => Ok(logic + conductor),
                (Ok(_), Err(error)) => Err(error.into_agent_error()),
                (Err(error), conductor) => {
                    *kept = conductor.err();
                    Err(error)
                }
            }
        })
    }

    fn on_drain(&mut self) -> Result<(), AgentError> {
        match self.client.as_mut() {
            Some(client) => self.logic.on_drain(client),
            None => Ok(()),
        }
    }

    fn is_drained(&self) -> bool {
        self.logic.is_drained()
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        let Some(mut client) = self.client.take() else { return Ok(()) };
        self.counters.publish();
        let logic = self.logic.on_close(&mut client);
        let counters = self.counters.close();
        let client = client.close();
        logic?;
        counters?;
        client?;
        self.kept.take().map_or(Ok(()), |error| Err(error.into_agent_error()))
    }

    fn role_name(&self) -> &str {
        self.logic.role_name()
    }
}

/// The logic's error, made one that ends the agent when it is a [`ClientError`] that
/// [`ends_agent`](ClientError::ends_agent). Out of the duty cycle's path: errors only.
#[cold]
fn ends_agent(error: AgentError) -> AgentError {
    match error.downcast_ref::<ClientError>() {
        Some(client_error) if client_error.ends_agent() => error.into_failure(),
        _ => error,
    }
}

impl<A> fmt::Debug for AeronAgent<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AeronAgent")
            .field("client", &self.client)
            .field("cadence", &self.cadence.cadence())
            .finish_non_exhaustive()
    }
}
