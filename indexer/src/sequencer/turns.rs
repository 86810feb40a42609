//! Admission in the order transactions arrive, with the work before it done side by side: each
//! `eth_sendRawTransaction` takes a ticket when it arrives, decodes its transaction and recovers the
//! sender on any core, then waits for every earlier ticket before it enters the pool. A batch holding
//! one sender's consecutive nonces is admitted nonce by nonce, as if its calls ran one after another.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Mutex,
};

use tokio::sync::oneshot;

/// The tickets.
#[derive(Debug, Default)]
pub(crate) struct Turns {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The next ticket to hand out.
    issued: u64,
    /// The ticket whose turn it is: every ticket before it is released.
    current: u64,
    /// Tickets released before their turn (their callers went away or failed early).
    released: BTreeSet<u64>,
    /// Who to wake when a ticket's turn comes.
    waiting: BTreeMap<u64, oneshot::Sender<()>>,
}

impl Turns {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A ticket after every ticket handed out so far.
    pub(crate) fn ticket(&self) -> Ticket<'_> {
        let mut state = self.state();
        let number = state.issued;
        state.issued += 1;
        Ticket {
            turns: self,
            number,
        }
    }
}

/// A place in the order; dropping it lets the next ticket go.
#[derive(Debug)]
pub(crate) struct Ticket<'a> {
    turns: &'a Turns,
    number: u64,
}

impl Ticket<'_> {
    /// Waits until every earlier ticket has been dropped.
    pub(crate) async fn turn(&self) {
        let woken = {
            let mut state = self.turns.state();
            if state.current == self.number {
                return;
            }
            let (wake, woken) = oneshot::channel();
            state.waiting.insert(self.number, wake);
            woken
        };
        // The sender is only ever dropped after sending, or with the whole `Turns`.
        let _ = woken.await;
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        let mut state = self.turns.state();
        state.waiting.remove(&self.number);
        state.released.insert(self.number);
        loop {
            let current = state.current;
            if !state.released.remove(&current) {
                break;
            }
            state.current += 1;
        }
        let current = state.current;
        if let Some(wake) = state.waiting.remove(&current) {
            let _ = wake.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Tickets finishing their work in any order enter in the order they were handed out, and a
    /// ticket dropped before its turn holds nobody up.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn turns_come_in_ticket_order_whatever_order_the_work_ends_in() {
        let turns = Arc::new(Turns::default());
        let entered = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..64u64 {
            let ticket_turns = turns.clone();
            let entered = entered.clone();
            tasks.push(async move {
                let ticket = ticket_turns.ticket();
                // Later tickets finish their work first.
                tokio::time::sleep(std::time::Duration::from_millis(64 - i)).await;
                if i % 10 == 3 {
                    return; // gave up before its turn
                }
                ticket.turn().await;
                entered.lock().expect("lock").push(i);
            });
        }
        futures_util::future::join_all(tasks).await;
        let entered = entered.lock().expect("lock").clone();
        let expected: Vec<u64> = (0..64).filter(|i| i % 10 != 3).collect();
        assert_eq!(entered, expected);
        let state = turns.state();
        assert_eq!((state.issued, state.current), (64, 64));
        assert!(state.waiting.is_empty() && state.released.is_empty());
    }
}
