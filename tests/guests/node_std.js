// SPDX-License-Identifier: BSD-2-Clause
// Node.js under tinykvm-run (tests/engine/node.sh): its standard library,
// the event loop's order, timers, a worker thread; every line as natively.
'use strict';
const order = [];
const crypto = require('crypto');
const zlib = require('zlib');
const fs = require('fs');
const path = require('path');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

if (!isMainThread) {
	let sum = 0;
	for (let i = 1; i <= workerData; i++)
		sum += i;
	parentPort.postMessage(sum);
	return;
}
console.log('sha256', crypto.createHash('sha256').update('abc').digest('hex'));
console.log('hmac', crypto.createHmac('sha1', 'key').update('data').digest('base64'));
console.log('random bytes', crypto.randomBytes(16).length);
const packed = zlib.gzipSync(Buffer.from('hello world '.repeat(100)));
console.log('gzip', zlib.gunzipSync(packed).length, 'bytes back');
console.log('json', JSON.stringify(JSON.parse('{"a":[1,2,{"b":null}],"c":"\\u00e9"}')));
console.log('base64', Buffer.from('tinykvm').toString('base64'));
console.log('url', new URL('https://example.com:8080/a/b?x=1#f').searchParams.get('x'));
console.log('file', fs.readFileSync(path.join(__dirname, 'data.txt'), 'utf8').trim());
console.log('readdir', fs.readdirSync(__dirname).sort().join(','));
const w = new Worker(__filename, { workerData: 1000 });
w.on('message', m => console.log('worker sum', m));
w.on('exit', c => {
	// In a callback of the loop's poll phase, the order is fixed:
	// ticks, promises, immediates, then timers by their deadline.
	console.log('worker exit', c);
	setTimeout(() => order.push('timeout 60'), 60);
	setTimeout(() => order.push('timeout 20'), 20);
	setImmediate(() => order.push('immediate'));
	process.nextTick(() => order.push('tick'));
	Promise.resolve().then(() => order.push('promise'));
	setTimeout(() => console.log('order', order.join(', ')), 150);
});
