// SPDX-License-Identifier: BSD-2-Clause
// Rust threads: std::thread::spawn, an mpsc channel, Arc<Mutex<_>>, joins.
// The output does not depend on the order threads run in.
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
fn main() {
    let total = Arc::new(Mutex::new(0u64));
    let (tx, rx) = mpsc::channel();
    let mut hs = Vec::new();
    for id in 0..4u64 {
        let tx = tx.clone();
        let total = Arc::clone(&total);
        hs.push(thread::spawn(move || {
            let mut s = 0u64;
            for i in 0..1000u64 { s += i * (id + 1); }
            *total.lock().unwrap() += s;
            tx.send((id, s)).unwrap();
        }));
    }
    drop(tx);
    let mut got: Vec<(u64, u64)> = rx.iter().collect();
    got.sort();
    for h in hs { h.join().unwrap(); }
    for (id, s) in &got { println!("thread {} sum {}", id, s); }
    println!("total {}", *total.lock().unwrap());
}
