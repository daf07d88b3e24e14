//! An `AeronAgent`'s duty cycle touches no heap once its counters are added: counting its
//! own figures, timing its calls and publishing them into its counters allocate nothing. A
//! counting global allocator sees every allocation of the agent thread's measured calls.
//! (Aeron's C code allocates with `malloc` directly, past any Rust allocator; what is counted
//! here is what the Rust side does.)
//!
//! A binary of its own: the allocator counts the whole process.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{serial, wait_until};
use dutycycle::{Agent, AgentError, AgentRunner, Statistics};
use dutycycle_aeron::{
    AeronAgent, AeronClient, ClientAgent, ClientConfig, MediaDriverAgent, MediaDriverConfig,
    DUTY_CYCLES_COUNTER_TYPE_ID,
};
use dutycycle_test_support::alloc::{counted, CountingAllocator};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Works on every other call.
struct Alternating(u64);

impl ClientAgent for Alternating {
    fn role_name(&self) -> &str {
        "alternating"
    }
    fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
        self.0 += 1;
        Ok(usize::from(self.0 % 2 == 0))
    }
}

/// When the measures begin (set by the test once the counters show figures), and what the
/// measured agent saw: calls counted, the heap touches among them, and whether it is done.
#[derive(Default)]
struct Measures {
    go: AtomicBool,
    calls: AtomicU64,
    heap_touches: AtomicU64,
    done: AtomicBool,
}

/// Runs an `AeronAgent`, and from `go` on counts the heap touches of each of its `do_work`
/// calls for `measured`.
struct Measured {
    agent: AeronAgent<Alternating>,
    started: Option<Instant>,
    measured: Duration,
    measures: Arc<Measures>,
}

impl Agent for Measured {
    fn on_start(&mut self) -> Result<(), AgentError> {
        self.agent.on_start()
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        // Until `go`, the counters are being added (polling an add that completes allocates).
        if self.measures.done.load(Ordering::Relaxed) || !self.measures.go.load(Ordering::Relaxed) {
            return self.agent.do_work();
        }
        if self.started.get_or_insert_with(Instant::now).elapsed() > self.measured {
            // Release: the counts stored before are seen by whoever sees `done`.
            self.measures.done.store(true, Ordering::Release);
            return self.agent.do_work();
        }
        let (result, counts) = counted(|| self.agent.do_work());
        self.measures.calls.fetch_add(1, Ordering::Relaxed);
        self.measures.heap_touches.fetch_add(counts.total(), Ordering::Relaxed);
        result
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        self.agent.on_close()
    }
}

#[test]
fn an_aeron_agents_duty_cycles_count_time_and_publish_without_touching_the_heap() {
    let _serial = serial();
    let driver_config = MediaDriverConfig::new();
    let dir = driver_config.aeron_dir().to_owned();
    let client = ClientConfig::new().dir(&dir);
    let driver = AgentRunner::start(move || Ok(MediaDriverAgent::launch(driver_config)?)).unwrap();
    let measures = Arc::new(Measures::default());
    let agent_measures = Arc::clone(&measures);
    // Timed: the agent times its own calls too, the most it does per call. Several updates of
    // the counters (one at most every 100 ms) fall in the measured 1.5 s.
    let runner = AgentRunner::builder()
        .statistics(Statistics::Timed { threshold: Duration::from_micros(100) })
        .start(move || {
            let agent = AeronAgent::connect(&client, Alternating(0))?;
            Ok(Measured {
                agent,
                started: None,
                measured: Duration::from_millis(1_500),
                measures: agent_measures,
            })
        })
        .unwrap();
    // The counters are added and show figures: the agent has published them.
    let cnc = dutycycle_aeron::rusteron_client::AeronCnc::open(
        &std::ffi::CString::new(dir.to_str().unwrap()).unwrap(),
    )
    .unwrap();
    let published = || {
        let mut duty_cycles = 0;
        cnc.counters_reader().foreach_counter_fn(|value, _, type_id, _, _| {
            if type_id == DUTY_CYCLES_COUNTER_TYPE_ID {
                duty_cycles = value;
            }
        });
        duty_cycles
    };
    assert!(wait_until(Duration::from_secs(60), || published() > 0), "no figures published");
    measures.go.store(true, Ordering::Relaxed);
    // The window holds an update of the counters (one at most every 100 ms): a value newer
    // than one read after the first measured call, seen before the window closed.
    assert!(wait_until(Duration::from_secs(60), || measures.calls.load(Ordering::Relaxed) > 0));
    let in_window = published();
    assert!(wait_until(Duration::from_secs(60), || published() > in_window));
    assert!(!measures.done.load(Ordering::Relaxed), "no update during the measured window");
    // Acquire, paired with the agent's Release: the counts stored before `done` are seen.
    assert!(wait_until(Duration::from_secs(60), || measures.done.load(Ordering::Acquire)), "not done");
    let (calls, touches) =
        (measures.calls.load(Ordering::Relaxed), measures.heap_touches.load(Ordering::Relaxed));
    assert!(runner.close().unwrap().is_clean());
    assert!(driver.close().unwrap().is_clean());
    assert!(calls > 1_000, "only {calls} calls measured");
    assert_eq!(touches, 0, "{touches} heap touches in {calls} calls");
}
