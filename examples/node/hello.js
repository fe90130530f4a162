// SPDX-License-Identifier: BSD-2-Clause
// A request program in JavaScript (Node.js): GET answers with the URL, the
// argument, a request field and JSON state; POST gives back the body with
// its SHA-256.  The state is built during initialization (modules loaded,
// a worker thread's result, a timer that ran); every request starts from it.
'use strict';
const crypto = require('crypto');
const path = require('path');
const { Worker } = require('worker_threads');
const varnish = require(path.join(__dirname, 'varnish.node'));

const state = { counter: 41, seen: [] };

function onGet(req) {
	state.counter++;
	state.seen.push(req.url);
	const agent = varnish.httpFind(varnish.REQ, 'User-Agent') || 'none';
	varnish.httpSet(varnish.RESP, 'X-Language: JavaScript');
	varnish.setCacheable(false, 1);
	varnish.respond(200, 'text/plain', `Hello from Node.js! url=${req.url} ` +
	    `arg=${req.arg} ${agent} ${JSON.stringify(state)}\n`);
}

function onPost(req) {
	const digest = crypto.createHash('sha256').update(req.body).digest('hex');
	varnish.httpSet(varnish.RESP, 'X-Language: JavaScript');
	varnish.respond(201, 'text/plain', Buffer.concat([Buffer.from(
	    `Node.js got ${req.body.length} bytes of ${req.contentType} at ` +
	    `${req.url} sha256=${digest}: `), req.body]));
}

function serve() {
	console.log('Node.js program ready');
	for (;;) {
		const req = varnish.next();	// a fresh copy of the program each time
		if (req.method === 'POST')
			onPost(req);
		else
			onGet(req);
	}
}

if (!varnish.sandboxed()) {
	console.log('run me in tinykvm-run or under varnishd');
	process.exit(0);
}
// Initialization: a worker thread and a timer, before the first request.
const w = new Worker('require("worker_threads").parentPort.postMessage(6 * 7)',
    { eval: true });
w.on('message', m => {
	state.fromWorker = m;
	setTimeout(() => { state.timer = 'ran'; serve(); }, 10);
});
