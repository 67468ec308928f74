// An SMPP server built on the npm `smpp` library: an implementation independent of ours,
// for checking what our connector sends and how it reads what an SMSC sends back.
//
//   node server.js PORT [--receipt-ids dec] [--no-receipt-tlvs] [--tls KEY.pem CERT.pem]
//
// Listens on 127.0.0.1:PORT (0: an ephemeral port). Prints one JSON object a line on stdout:
// first {"event": "listening", "port": N}, then every bind, submit_sm (decoded by the
// library: texts, UDH, addresses, validity), deliver_sm_resp, enquire_link and unbind it
// receives. Accepts any bind, answers each submit_sm with a new hexadecimal message id, then
// sends a delivery receipt (text and receipted_message_id/message_state TLVs) to a receiver
// or transceiver bind of the same system_id.
//
// With --receipt-ids dec the receipt texts carry the ids in decimal, a quirk of some SMSCs
// (the receipted_message_id TLV keeps the submit_sm_resp's form); with --no-receipt-tlvs
// receipts are text only. With --tls it serves SMPP over TLS with that key and certificate.
//
// Reads JSON lines on stdin: {"mo": {source_addr, destination_addr, message, udh_hex?}}
// sends that mobile-originated message to a receiving bind; {"unbind": true} unbinds every
// session (the SMSC ends the bind) and closes it. Exits when stdin ends.

'use strict';

const fs = require('fs');
const readline = require('readline');
const smpp = require('smpp');

const port = Number(process.argv[2] || 0);
const receiptIds = process.argv.includes('--receipt-ids') ?
	process.argv[process.argv.indexOf('--receipt-ids') + 1] : 'hex';
const receiptTlvs = !process.argv.includes('--no-receipt-tlvs');
const tlsAt = process.argv.indexOf('--tls');
const serverOptions = tlsAt < 0 ? {} : {
	key: fs.readFileSync(process.argv[tlsAt + 1]),
	cert: fs.readFileSync(process.argv[tlsAt + 2]),
};

let nextId = 0x10000;
const receivers = new Map(); // system_id -> sessions that may receive deliver_sm
const sessions = new Set();

function print(record) {
	process.stdout.write(JSON.stringify(record) + '\n');
}

function text(value) {
	if (value === undefined || value === null) {
		return null;
	}
	if (Buffer.isBuffer(value)) {
		return {message: value.toString('hex'), udh: null, raw: true};
	}
	if (typeof value === 'string') {
		return {message: value, udh: null};
	}
	const udh = value.udh && value.udh.length ?
		value.udh.map((part) => part.toString('hex')) : null;
	return {message: Buffer.isBuffer(value.message) ? value.message.toString('hex') : value.message,
		udh: udh};
}

function time(value) {
	if (value instanceof Date) {
		return value.toISOString();
	}
	return value || '';
}

function smppDate(moment) {
	const pad = (n) => String(n).padStart(2, '0');
	return pad(moment.getUTCFullYear() % 100) + pad(moment.getUTCMonth() + 1) +
		pad(moment.getUTCDate()) + pad(moment.getUTCHours()) + pad(moment.getUTCMinutes());
}

function receiver(systemId) {
	const sessions = receivers.get(systemId) || [];
	return sessions.find((session) => !session.closed) || null;
}

function sendReceipt(systemId, submit, messageId) {
	const session = receiver(systemId);
	if (!session) {
		print({event: 'no_receiver', system_id: systemId, message_id: messageId});
		return;
	}
	const shown = receiptIds === 'dec' ? String(parseInt(messageId, 16)) : messageId;
	const now = new Date();
	const body = `id:${shown} sub:001 dlvrd:001 submit date:${smppDate(now)} ` +
		`done date:${smppDate(now)} stat:DELIVRD err:000 text:`;
	const tlvs = receiptTlvs ? {
		receipted_message_id: messageId, // as in submit_sm_resp (SMPP 3.4 §5.3.2.12)
		message_state: 2, // DELIVERED
	} : {};
	session.deliver_sm(Object.assign({
		source_addr_ton: submit.dest_addr_ton,
		source_addr_npi: submit.dest_addr_npi,
		source_addr: submit.destination_addr,
		dest_addr_ton: submit.source_addr_ton,
		dest_addr_npi: submit.source_addr_npi,
		destination_addr: submit.source_addr,
		esm_class: 0x04,
		data_coding: 0,
		short_message: Buffer.from(body, 'ascii'),
	}, tlvs));
}

function sendMo(order) {
	const session = [...receivers.keys()].map(receiver).find(Boolean);
	if (!session) {
		print({event: 'no_receiver', mo: order});
		return;
	}
	const shortMessage = order.udh_hex ?
		{udh: Buffer.from(order.udh_hex, 'hex'), message: order.message} : order.message;
	session.deliver_sm({
		source_addr_ton: 1, source_addr_npi: 1, source_addr: order.source_addr,
		dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: order.destination_addr,
		short_message: shortMessage,
	}, (resp) => print({event: 'mo_resp', command_status: resp.command_status}));
}

function unbindAll() {
	for (const session of sessions) {
		session.unbind({}, (resp) => {
			print({event: 'unbind_resp', command_status: resp.command_status});
			session.close();
		});
	}
}

const server = smpp.createServer(serverOptions, (session) => {
	sessions.add(session);
	let systemId = null;
	let mode = null;

	const bind = (command) => (pdu) => {
		systemId = pdu.system_id;
		mode = command;
		print({event: 'bind', command: command, system_id: pdu.system_id,
			password: pdu.password, system_type: pdu.system_type,
			interface_version: pdu.interface_version});
		session.send(pdu.response({system_id: 'NODESMSC'}));
		if (command !== 'bind_transmitter') {
			if (!receivers.has(systemId)) {
				receivers.set(systemId, []);
			}
			receivers.get(systemId).push(session);
		}
	};
	session.on('bind_transceiver', bind('bind_transceiver'));
	session.on('bind_transmitter', bind('bind_transmitter'));
	session.on('bind_receiver', bind('bind_receiver'));

	session.on('submit_sm', (pdu) => {
		const messageId = (nextId++).toString(16).toUpperCase();
		print({
			event: 'submit_sm', mode: mode, system_id: systemId, message_id: messageId,
			sequence_number: pdu.sequence_number,
			source_addr: pdu.source_addr, source_addr_ton: pdu.source_addr_ton,
			source_addr_npi: pdu.source_addr_npi, destination_addr: pdu.destination_addr,
			dest_addr_ton: pdu.dest_addr_ton, dest_addr_npi: pdu.dest_addr_npi,
			esm_class: pdu.esm_class, data_coding: pdu.data_coding,
			registered_delivery: pdu.registered_delivery,
			validity_period: time(pdu.validity_period),
			short_message: text(pdu.short_message),
			message_payload: text(pdu.message_payload),
		});
		session.send(pdu.response({message_id: messageId}), () => {
			if (pdu.registered_delivery & 0x01) {
				sendReceipt(systemId, pdu, messageId);
			}
		});
	});

	session.on('deliver_sm_resp', (pdu) => {
		print({event: 'deliver_sm_resp', sequence_number: pdu.sequence_number,
			command_status: pdu.command_status});
	});
	session.on('enquire_link', (pdu) => {
		print({event: 'enquire_link', system_id: systemId});
		session.send(pdu.response());
	});
	session.on('unbind', (pdu) => {
		print({event: 'unbind', system_id: systemId});
		session.send(pdu.response(), () => session.close());
	});
	session.on('unknown', (pdu) => session.send(pdu.response()));
	session.on('close', () => {
		session.closed = true;
		sessions.delete(session);
	});
	session.on('error', (error) => print({event: 'error', message: String(error)}));
});

server.listen(port, '127.0.0.1', () => {
	print({event: 'listening', port: server.address().port});
});

readline.createInterface({input: process.stdin}).on('line', (line) => {
	if (!line.trim()) {
		return;
	}
	const order = JSON.parse(line);
	if (order.mo) {
		sendMo(order.mo);
	}
	if (order.unbind) {
		unbindAll();
	}
});

// The test that started us owns our stdin: when it goes, so do we.
process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
