/**
 * Control-flow routines on the WebGPU device: `while`, `cond` and `scan` as host loops around
 * sub-programs compiled for WebGPU (one per jaxpr, cached), with the carry staying in device
 * buffers between iterations (the WebGPU counterpart of `../cpu/control_flow.ts`). `while`
 * compiles "body, then predicate" as one program, so an iteration is one submit and one 4-byte
 * readback; `cond` reads back only the branch index; `scan` reads back nothing: each iteration
 * copies its `xs` slices out of the stacked inputs and its `y`s into the stacked outputs on the
 * device.
 *
 * @module
 */
import { ShapedArray } from "../../core/aval.ts";
import { DeviceArray } from "../../core/device_array.ts";
import { Jaxpr, Var } from "../../core/jaxpr.ts";
import { type EqnOf, P } from "../../core/primitives/mod.ts";
import type { WhileParams } from "../../core/primitives/control.ts";
import { acquireBuffer, checkDeviceError, readBuffer, webgpu, WebGpuStorage } from "./device.ts";
import type { WebGpuProgram } from "./program.ts";
import type { DeviceRoutine, RoutineOptions } from "./routines.ts";

/**
 * Storage of a buffer the routine's caller owns, lent to a sub-program: freeing it (when the
 * wrapping array is disposed or collected) must not return the caller's buffer to the pool.
 */
class Borrowed extends WebGpuStorage {
  override free(): void {}
}

function borrow(buf: GPUBuffer, aval: ShapedArray): DeviceArray {
  return new DeviceArray(aval, new Borrowed(buf, aval.dtype, aval.size));
}

function bufferOf(x: DeviceArray): GPUBuffer {
  return (x.storage as WebGpuStorage).buffer;
}

/** Waits until the (asynchronous) producers of `xs`, if any, have submitted their work. */
async function settle(xs: readonly DeviceArray[]): Promise<void> {
  const ready = new Set<Promise<void>>();
  for (const x of xs) {
    const r = (x.storage as WebGpuStorage).ready;
    if (r) ready.add(r);
  }
  if (ready.size) await Promise.all(ready);
}

/** Disposes the arrays of `xs` that are not in `keep` (each once). */
function disposeExcept(xs: Iterable<DeviceArray>, keep: Iterable<DeviceArray>): void {
  const k = new Set(keep);
  for (const x of new Set(xs)) if (!k.has(x)) x.dispose();
}

/** Copies whole arrays into buffers (at byte offsets), on one encoder. */
function copyInto(
  enc: GPUCommandEncoder,
  srcs: readonly DeviceArray[],
  dsts: readonly GPUBuffer[],
  offsets?: readonly number[],
): void {
  srcs.forEach((x, i) => {
    const bytes = x.size * 4;
    if (bytes) enc.copyBufferToBuffer(bufferOf(x), 0, dsts[i], offsets?.[i] ?? 0, bytes);
  });
}

function submit(enc: GPUCommandEncoder): void {
  webgpu().device.queue.submit([enc.finish()]);
}

/**
 * `text` with every line indented by four spaces (sub-plans under their step).
 *
 * @example
 * ```ts
 * import { indentText } from "./control_flow.ts";
 * indentText("a\nb"); // "    a\n    b"
 * ```
 */
export function indentText(text: string): string {
  return text.split("\n").map((l) => "    " + l).join("\n");
}

const subPrograms = new WeakMap<Jaxpr, WebGpuProgram>();
function subProgram(j: Jaxpr, o: RoutineOptions): WebGpuProgram {
  let p = subPrograms.get(j);
  if (!p) subPrograms.set(j, p = o.compile(j));
  return p;
}

/** `(condConsts, bodyConsts, carry) → (body(carry), cond(body(carry)))` as one jaxpr. */
const whileSteps = new WeakMap<Jaxpr, WeakMap<Jaxpr, Jaxpr>>();
function whileStep(p: WhileParams): Jaxpr {
  let byCond = whileSteps.get(p.bodyJaxpr);
  if (!byCond) whileSteps.set(p.bodyJaxpr, byCond = new WeakMap());
  let j = byCond.get(p.condJaxpr);
  if (!j) {
    const fresh = (vs: readonly Var[]) => vs.map((v) => new Var(v.aval));
    const cc = fresh(p.condJaxpr.invars.slice(0, p.condNConsts));
    const bc = fresh(p.bodyJaxpr.invars.slice(0, p.bodyNConsts));
    const carry = fresh(p.bodyJaxpr.invars.slice(p.bodyNConsts));
    const next = p.bodyJaxpr.outAvals.map((a) => new Var(a));
    const pred = new Var(p.condJaxpr.outAvals[0]);
    // jit_calls are inlined by the planner: body and predicate fuse into one program.
    j = new Jaxpr([], [...cc, ...bc, ...carry], [
      {
        prim: P.jit_call,
        inputs: [...bc, ...carry],
        params: { jaxpr: p.bodyJaxpr, name: "body" },
        outputs: next,
      },
      {
        prim: P.jit_call,
        inputs: [...cc, ...next],
        params: { jaxpr: p.condJaxpr, name: "cond" },
        outputs: [pred],
      },
    ], [...next, pred]);
    byCond.set(p.condJaxpr, j);
  }
  return j;
}

function loopRoutine(
  what: string,
  programs: [string, WebGpuProgram][],
  run: (inputs: GPUBuffer[], outputs: GPUBuffer[]) => Promise<void>,
): DeviceRoutine {
  return {
    kind: "loop",
    describe: () =>
      [
        `on the device: ${what}`,
        ...programs.map(([name, p]) => `${name}:\n${indentText(p.plan.toString())}`),
      ].join("\n"),
    source: () => programs.map(([name, p]) => `// ${name}\n${p.source()}`).join("\n\n"),
    run,
  };
}

/**
 * `cond` on the device: the host reads back the branch index and runs that branch's program.
 *
 * @example
 * ```ts ignore
 * const r = condRoutine(eqn, options); // kind "loop"
 * ```
 */
export function condRoutine(eqn: EqnOf<"cond">, o: RoutineOptions): DeviceRoutine {
  const { branches } = eqn.params;
  const programs = branches.map((b) => subProgram(b, o));
  const inAvals = eqn.inputs.map((a) => a.aval);
  return loopRoutine(
    `host reads the branch index, runs that branch's program`,
    programs.map((p, i) => [`branch ${i}`, p]),
    async (inputs, outputs) => {
      const raw = new Int32Array(await readBuffer(inputs[0], 4));
      checkDeviceError();
      const i = Math.min(Math.max(raw[0], 0), branches.length - 1);
      const args = inputs.slice(1).map((b, k) => borrow(b, inAvals[k + 1]));
      const outs = programs[i].run(args);
      await settle(outs);
      const enc = webgpu().device.createCommandEncoder();
      copyInto(enc, outs, outputs);
      submit(enc);
      disposeExcept(outs, []);
    },
  );
}

/**
 * `while` on the device: a host loop, each iteration one submit (body, then predicate) and a
 * 4-byte readback of the predicate.
 *
 * @example
 * ```ts ignore
 * const r = whileRoutine(eqn, options); // kind "loop"
 * ```
 */
export function whileRoutine(eqn: EqnOf<"while">, o: RoutineOptions): DeviceRoutine {
  const p = eqn.params;
  const first = subProgram(p.condJaxpr, o);
  const step = subProgram(whileStep(p), o);
  const inAvals = eqn.inputs.map((a) => a.aval);
  const nc = p.condNConsts, nb = p.bodyNConsts;
  return loopRoutine(
    `host loop; each iteration one submit (body, then predicate) and a 4-byte readback`,
    [["predicate", first], ["body + predicate", step]],
    async (inputs, outputs) => {
      const args = inputs.map((b, k) => borrow(b, inAvals[k]));
      const cc = args.slice(0, nc), bc = args.slice(nc, nc + nb);
      let carry = args.slice(nc + nb);
      const [p0] = first.run([...cc, ...carry]);
      let go = (await p0.data())[0] !== 0;
      // The predicate may be a carried value or a constant: keep those.
      disposeExcept([p0], [...carry, ...cc]);
      while (go) {
        const outs = step.run([...cc, ...bc, ...carry]);
        const next = outs.slice(0, carry.length);
        const pred = outs[carry.length];
        // Reading the predicate waits for this step, so the old carry is no longer read.
        go = (await pred.data())[0] !== 0;
        disposeExcept([...carry, pred], [...next, ...cc, ...bc]); // outputs may be constants
        carry = next;
      }
      const enc = webgpu().device.createCommandEncoder();
      copyInto(enc, carry, outputs);
      submit(enc);
      disposeExcept(carry, []);
    },
  );
}

/**
 * `scan` on the device: a host loop of one submit per iteration, with the `xs` slices and the
 * stacked `ys` copied on the device (nothing read back).
 *
 * @example
 * ```ts ignore
 * const r = scanRoutine(eqn, options); // kind "loop"
 * ```
 */
export function scanRoutine(eqn: EqnOf<"scan">, o: RoutineOptions): DeviceRoutine {
  const { jaxpr, numConsts, numCarry, length, reverse } = eqn.params;
  const body = subProgram(jaxpr, o);
  const inAvals = eqn.inputs.map((a) => a.aval);
  const xAvals = inAvals.slice(numConsts + numCarry).map((a) =>
    new ShapedArray(a.shape.slice(1), a.dtype, a.weakType)
  );
  const yBytes = jaxpr.outAvals.slice(numCarry).map((a) => a.size * 4);
  return loopRoutine(
    `host loop of ${length} iterations, one submit each; xs sliced and ys stacked on the device`,
    [["body", body]],
    async (inputs, outputs) => {
      const { device } = webgpu();
      const args = inputs.map((b, k) => borrow(b, inAvals[k]));
      const consts = args.slice(0, numConsts);
      const xs = inputs.slice(numConsts + numCarry);
      const ys = outputs.slice(numCarry);
      let carry = args.slice(numConsts, numConsts + numCarry);
      let enc = device.createCommandEncoder();
      let spent: DeviceArray[] = []; // released after `enc` (which reads them) is submitted
      const flush = () => {
        submit(enc);
        enc = device.createCommandEncoder();
        disposeExcept(spent, [...carry, ...consts]); // outputs may be constants
        spent = [];
      };
      for (let k = 0; k < length; k++) {
        const i = reverse ? length - 1 - k : k;
        const x = xAvals.map((a, j) => {
          const buf = acquireBuffer(a.size * 4);
          if (a.size) enc.copyBufferToBuffer(xs[j], i * a.size * 4, buf, 0, a.size * 4);
          return new DeviceArray(a, new WebGpuStorage(buf, a.dtype, a.size));
        });
        flush();
        const outs = body.run([...consts, ...carry, ...x]);
        await settle(outs);
        const next = outs.slice(0, numCarry);
        const y = outs.slice(numCarry);
        copyInto(enc, y, ys, yBytes.map((b) => i * b));
        spent = [...carry, ...x, ...y];
        carry = next;
      }
      copyInto(enc, carry, outputs);
      flush();
      disposeExcept(carry, []);
    },
  );
}
