"""The JavaScript installed once in every V8 isolate, and the per-call programs that drive it.

``PRELUDE`` runs once per isolate. It removes the few globals that could escape the time or
memory limits, snapshots the global object and the common built-ins, and defines a frozen,
non-writable ``__podium__`` with two functions:

* ``run(source, bindingsJson)`` evaluates ``source`` with direct ``eval`` inside a sloppy-mode
  function whose only parameter is ``$``. Direct eval gives the completion value of the last
  statement (GraalJS/Nashorn ``eval`` semantics), keeps ``var``/``function`` declarations local
  to the call, and sees ``$``. It answers a string: ``"J" + JSON``, ``"U"`` (undefined) or
  ``"E" + message``.
* ``restore()`` puts the snapshot back: globals a script created (``x = 1`` in sloppy mode,
  ``this.x = 1``) are deleted, and replaced or deleted built-ins are restored. It answers
  ``false`` when it cannot (a script made something non-configurable or froze a built-in);
  the isolate is then discarded.

Everything the prelude relies on after installation is captured in its closure, so a script
that replaces ``JSON.stringify`` or ``Object.defineProperty`` cannot subvert it.
"""

from __future__ import annotations

import orjson

__all__ = ["PRELUDE", "RESTORE_PROGRAM", "lambda_source", "run_program"]

PRELUDE = r"""
(function () {
  'use strict';
  const G = globalThis;
  const ownKeys = Reflect.ownKeys;
  const getDesc = Reflect.getOwnPropertyDescriptor;
  const defineProp = Reflect.defineProperty;
  const deleteProp = Reflect.deleteProperty;
  const getProto = Reflect.getPrototypeOf;
  const setProto = Reflect.setPrototypeOf;
  const hasOwn = Object.hasOwn;
  const same = Object.is;
  const freeze = Object.freeze;
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const toStr = String;
  const ErrorType = Error;

  // Off-heap buffers escape the heap limit, and timers/finalizers run after the call has
  // returned, outside its time limit. Conductor's engines offer scripts none of them.
  const removed = ['ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Atomics', 'WebAssembly',
    'FinalizationRegistry', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array',
    'Uint16Array', 'Int32Array', 'Uint32Array', 'Float16Array', 'Float32Array', 'Float64Array',
    'BigInt64Array', 'BigUint64Array'];
  for (let i = 0; i < removed.length; i++) deleteProp(G, removed[i]);
  // mini-racer's setTimeout polyfill: `var`s, so they cannot be deleted, only emptied.
  G.setTimeout = undefined;
  G.clearTimeout = undefined;
  G.__timer_manager = undefined;

  // Conductor's engines hand scripts Java Lists: `$.list.get(i)` and `$.list.size()` work
  // there, so arrays answer them here too (non-enumerable, like built-in methods).
  defineProp(Array.prototype, 'get', { value: function (i) { return this[i]; },
    writable: true, configurable: true, enumerable: false });
  defineProp(Array.prototype, 'size', { value: function () { return this.length; },
    writable: true, configurable: true, enumerable: false });

  // Sloppy mode on purpose: Conductor scripts assign undeclared variables.
  const evaluate = (0, eval)('(function ($) { return eval(arguments[1]); })');

  const describe = function (error) {
    try {
      if (error instanceof ErrorType || typeof error !== 'object' || error === null) {
        return toStr(error);
      }
      const text = stringify(error);
      return text === undefined ? toStr(error) : text;
    } catch (ignored) {
      return 'the script threw an exception that cannot be printed';
    }
  };

  const run = function (source, bindingsJson) {
    let value;
    try {
      value = evaluate(parse(bindingsJson), source);
      if (typeof value === 'bigint') {
        return 'ETypeError: a BigInt result cannot be converted to JSON';
      }
      const text = stringify(value);
      return text === undefined ? 'U' : 'J' + text;
    } catch (error) {
      return 'E' + describe(error);
    }
  };

  const iteratorProto = getProto(getProto([][Symbol.iterator]()));
  const watched = [G, Object, Object.prototype, Function, Function.prototype, Array,
    Array.prototype, getProto([][Symbol.iterator]()), iteratorProto, String, String.prototype,
    Number, Number.prototype, Boolean, Boolean.prototype, Symbol, Symbol.prototype, BigInt,
    BigInt.prototype, Math, JSON, Reflect, Date, Date.prototype, RegExp, RegExp.prototype,
    Map, Map.prototype, Set, Set.prototype, WeakMap.prototype, WeakSet.prototype, Promise,
    Promise.prototype, Error, Error.prototype, EvalError.prototype, RangeError.prototype,
    ReferenceError.prototype, SyntaxError.prototype, TypeError.prototype, URIError.prototype];

  const copyDesc = function (desc) {
    const copy = { __proto__: null };
    const fields = ownKeys(desc);
    for (let i = 0; i < fields.length; i++) copy[fields[i]] = desc[fields[i]];
    return copy;
  };

  const sameDesc = function (now, then) {
    if (now === undefined || now.enumerable !== then.enumerable ||
        now.configurable !== then.configurable) return false;
    if (hasOwn(then, 'value')) {
      return hasOwn(now, 'value') && same(now.value, then.value) && now.writable === then.writable;
    }
    return hasOwn(now, 'get') && now.get === then.get && now.set === then.set;
  };

  let snapshots;

  const restoreOne = function (target, snap) {
    if (getProto(target) !== snap.proto && !setProto(target, snap.proto)) return false;
    const keys = snap.keys;
    for (let i = 0; i < keys.length; i++) {
      const then = snap.descs[i];
      if (!sameDesc(getDesc(target, keys[i]), then) && !defineProp(target, keys[i], then)) {
        return false;
      }
    }
    const now = ownKeys(target);
    if (now.length === keys.length) return true;
    for (let i = 0; i < now.length; i++) {
      if (!hasOwn(snap.known, now[i]) && !deleteProp(target, now[i])) return false;
    }
    return ownKeys(target).length === keys.length;
  };

  const restore = function () {
    try {
      for (let i = 0; i < watched.length; i++) {
        if (!restoreOne(watched[i], snapshots[i])) return false;
      }
      return true;
    } catch (ignored) {
      return false;
    }
  };

  defineProp(G, '__podium__', { value: freeze({ run: run, restore: restore }) });

  snapshots = [];
  for (let i = 0; i < watched.length; i++) {
    const target = watched[i];
    const keys = ownKeys(target);
    const descs = [];
    const known = { __proto__: null };
    for (let j = 0; j < keys.length; j++) {
      descs[j] = copyDesc(getDesc(target, keys[j]));
      known[keys[j]] = true;
    }
    snapshots[i] = { proto: getProto(target), keys: keys, descs: descs, known: known };
  }
})();
"""

RESTORE_PROGRAM = "__podium__.restore()"
"""The second task of every call: it runs after the isolate has drained the script's microtasks."""


def run_program(source: str, bindings_json: str) -> str:
    """The JavaScript program that evaluates ``source`` with ``$`` parsed from ``bindings_json``."""
    src = orjson.dumps(source).decode()
    data = orjson.dumps(bindings_json).decode()
    return f"__podium__.run({src},{data})"


def lambda_source(body: str) -> str:
    """Conductor's LAMBDA wrapper: the body of a function whose call is the last expression.

    The newline keeps a trailing ``// comment`` in the body from swallowing the closing brace.
    """
    return "function scriptFun(){" + body + "\n} scriptFun();"
