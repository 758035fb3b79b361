/**
 * The hand-written WGSL baselines of W1 (`../shared/bench/W1.md`), written for llvmpipe as that
 * file advises (no workgroup barriers, per-thread partial sums in unrolled scalars, one submit, one
 * readback). `"fwd+bwd"`: four kernels,
 *
 * 1. forward: each thread walks a chunk of events, computes the per-event weight and the 26 normal
 *    CDFs, and accumulates signal and background histograms (50 scalars);
 * 2. one thread sums the partial histograms, computes Z and dZ/ds_j, dZ/db_j;
 * 3. backward: each thread recomputes its events' CDFs and accumulates dZ/dθ;
 * 4. one thread sums the partial gradients.
 *
 * `"tangent"` (W1.md's limit, "fused forward tangents"): two kernels,
 *
 * 1. each thread walks a chunk of events once, computing the 26 CDFs, the weight and its two
 *    tangents (d/dmetCut, d/dbtagCut), and accumulates s_j, b_j and their tangents (150 scalars);
 * 2. one thread sums the partials, computes Z and dZ/dθ = Σ_j dZ/ds_j·ds_j/dθ + dZ/db_j·db_j/dθ.
 *
 * @module
 */

const B = 25;

/**
 * A compiled W1 baseline bound to device-resident columns.
 *
 * @example
 * ```ts
 * import { W1Wgsl } from "./w1_wgsl_baseline.ts";
 * declare const device: GPUDevice;
 * const w1 = new W1Wgsl(device, { mtt: new Float32Array(4), met: new Float32Array(4),
 *   btag: new Float32Array(4), wgt: new Float32Array(4), sig: new Float32Array(4) });
 * console.log(await w1.run([50, 0.5]));
 * ```
 */
export class W1Wgsl {
  #device: GPUDevice;
  #pipelines: GPUComputePipeline[];
  #groups: GPUBindGroup[];
  #theta: GPUBuffer;
  #result: GPUBuffer;
  #staging: GPUBuffer;
  #threads: number;
  #buffers: GPUBuffer[];

  /** Uploads the columns and compiles the kernels of `kind` (four, or two fused-tangent ones). */
  constructor(
    device: GPUDevice,
    cols: {
      mtt: Float32Array;
      met: Float32Array;
      btag: Float32Array;
      wgt: Float32Array;
      sig: Float32Array;
    },
    kind: "fwd+bwd" | "tangent" = "fwd+bwd",
  ) {
    this.#device = device;
    const n = cols.mtt.length;
    // ≤ 2048 threads: kernel 2 loops 25 × T times in one invocation, and llvmpipe stops any
    // invocation's loop after 65535 iterations.
    const T = Math.max(1, Math.min(2048, Math.ceil(n / 128)));
    const chunk = Math.ceil(n / T);
    this.#threads = T;
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const buf = (bytes: number) =>
      device.createBuffer({ size: Math.max(16, bytes), usage: storage });
    const col = (a: Float32Array) => {
      const b = buf(a.byteLength);
      device.queue.writeBuffer(b, 0, a.buffer as ArrayBuffer, a.byteOffset, a.byteLength);
      return b;
    };
    const data = [cols.mtt, cols.met, cols.btag, cols.wgt, cols.sig].map(col);
    this.#theta = buf(8);
    const partHist = buf(T * (kind === "tangent" ? 6 : 2) * B * 4),
      coef = buf(2 * B * 4),
      partGrad = buf(T * 2 * 4);
    this.#result = buf(16);
    this.#staging = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.#buffers = [...data, this.#theta, partHist, coef, partGrad, this.#result];

    const edges = Array.from({ length: B + 1 }, (_, j) => (j * 3000) / B);
    const lit = (v: number) => (Number.isInteger(v) ? `${v}.0` : `${v}`);
    const decl = (names: [string, boolean][]) =>
      names.map(([nm, w], i) =>
        `@group(0) @binding(${i}) var<storage, ${w ? "read_write" : "read"}> ${nm}: array<f32>;`
      ).join("\n");
    const common = `
fn erfc_nr(x: f32) -> f32 {
  if (x >= 10.06) { return 0.0; }
  if (x <= -3.84) { return 2.0; }
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
    t * (-0.82215223 + t * 0.17087277)))))))));
  return select(2.0 - r, r, x >= 0.0);
}
fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn phi(e: f32, x: f32) -> f32 { return 0.5 * erfc_nr((e - x) * (-0.70710678 / 60.0)); }
`;
    const row = edges.map((e, j) => `    let c${j} = phi(${lit(e)}, x);`).join("\n");
    const cols5: [string, boolean][] = [["mtt", false], ["met", false], ["btag", false], [
      "wgt",
      false,
    ], [
      "sig",
      false,
    ], ["theta", false]];
    const fwd = `${decl([...cols5, ["part", true]])}
${common}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= ${T}u) { return; }
${Array.from({ length: B }, (_, j) => `  var s${j} = 0.0; var b${j} = 0.0;`).join("\n")}
  let thm = theta[0]; let thb = theta[1];
  for (var i = t * ${chunk}u; i < min((t + 1u) * ${chunk}u, ${n}u); i = i + 1u) {
    let x = mtt[i];
    let w = wgt[i] * sigm((met[i] - thm) / 25.0) * sigm((btag[i] - thb) * 10.0);
    let ws = w * sig[i]; let wb = w - ws;
${row}
${
      Array.from({ length: B }, (_, j) =>
        `    s${j} = s${j} + (c${j + 1} - c${j}) * ws; b${j} = b${j} + (c${j + 1} - c${j}) * wb;`)
        .join("\n")
    }
  }
${
      Array.from({ length: B }, (_, j) =>
        `  part[t * ${2 * B}u + ${j}u] = s${j}; part[t * ${2 * B}u + ${B + j}u] = b${j};`).join(
          "\n",
        )
    }
}`;
    const fwdFinish = `${decl([["part", false], ["coef", true], ["result", true]])}
@compute @workgroup_size(1)
fn main() {
  var q = 0.0;
  var ds: array<f32, ${B}>; var db: array<f32, ${B}>;
  for (var j = 0u; j < ${B}u; j = j + 1u) {
    var s = 0.0; var b = 0.0;
    for (var t = 0u; t < ${T}u; t = t + 1u) { s = s + part[t * ${2 * B}u + j]; b = b + part[t * ${
      2 * B
    }u + ${B}u + j]; }
    let bc = max(b, 1e-3); let r = s / bc; let l = log(1.0 + r);
    q = q + 2.0 * ((s + bc) * l - s);
    ds[j] = 2.0 * l; db[j] = select(0.0, 2.0 * (l - r), b > 1e-3);
  }
  let z = sqrt(q);
  for (var j = 0u; j < ${B}u; j = j + 1u) { coef[j] = ds[j] * 0.5 / z; coef[${B}u + j] = db[j] * 0.5 / z; }
  result[0] = z;
}`;
    const bwd = `${decl([...cols5, ["coef", false], ["pgrad", true]])}
${common}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= ${T}u) { return; }
  let thm = theta[0]; let thb = theta[1];
${
      Array.from({ length: B }, (_, j) => `  let cs${j} = coef[${j}]; let cb${j} = coef[${B + j}];`)
        .join("\n")
    }
  var gm = 0.0; var gb = 0.0;
  for (var i = t * ${chunk}u; i < min((t + 1u) * ${chunk}u, ${n}u); i = i + 1u) {
    let x = mtt[i];
    let s1 = sigm((met[i] - thm) / 25.0); let s2 = sigm((btag[i] - thb) * 10.0);
    let w = wgt[i] * s1 * s2;
${row}
    var ds = 0.0; var db = 0.0;
${
      Array.from({ length: B }, (_, j) =>
        `    ds = ds + (c${j + 1} - c${j}) * cs${j}; db = db + (c${j + 1} - c${j}) * cb${j};`).join(
          "\n",
        )
    }
    let si = sig[i];
    let dw = si * ds + (1.0 - si) * db;
    gm = gm - dw * w * (1.0 - s1) / 25.0;
    gb = gb - dw * w * (1.0 - s2) * 10.0;
  }
  pgrad[2u * t] = gm; pgrad[2u * t + 1u] = gb;
}`;
    const bwdFinish = `${decl([["pgrad", false], ["result", true]])}
@compute @workgroup_size(1)
fn main() {
  var gm = 0.0; var gb = 0.0;
  for (var t = 0u; t < ${T}u; t = t + 1u) { gm = gm + pgrad[2u * t]; gb = gb + pgrad[2u * t + 1u]; }
  result[1] = gm; result[2] = gb;
}`;
    const tan = `${decl([...cols5, ["part", true]])}
${common}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= ${T}u) { return; }
${
      Array.from({ length: B }, (_, j) =>
        `  var s${j} = 0.0; var b${j} = 0.0; var sm${j} = 0.0; var sb${j} = 0.0; ` +
        `var bm${j} = 0.0; var bb${j} = 0.0;`).join("\n")
    }
  let thm = theta[0]; let thb = theta[1];
  for (var i = t * ${chunk}u; i < min((t + 1u) * ${chunk}u, ${n}u); i = i + 1u) {
    let x = mtt[i];
    let g1 = sigm((met[i] - thm) / 25.0); let g2 = sigm((btag[i] - thb) * 10.0);
    let w = wgt[i] * g1 * g2;
    let wm = -w * (1.0 - g1) / 25.0; let wt = -w * (1.0 - g2) * 10.0;
    let si = sig[i];
    let ws = w * si; let wb = w - ws; let wsm = wm * si; let wbm = wm - wsm;
    let wsb = wt * si; let wbb = wt - wsb;
${row}
${
      Array.from({ length: B }, (_, j) =>
        `    let k${j} = c${j + 1} - c${j};\n` +
        `    s${j} = s${j} + k${j} * ws; b${j} = b${j} + k${j} * wb; ` +
        `sm${j} = sm${j} + k${j} * wsm; sb${j} = sb${j} + k${j} * wsb; ` +
        `bm${j} = bm${j} + k${j} * wbm; bb${j} = bb${j} + k${j} * wbb;`).join("\n")
    }
  }
${
      Array.from({ length: B }, (_, j) =>
        ["s", "b", "sm", "sb", "bm", "bb"].map((a, q) =>
          `  part[t * ${6 * B}u + ${q * B + j}u] = ${a}${j};`
        ).join("\n")).join("\n")
    }
}`;
    const tanFinish = `${decl([["part", false], ["result", true]])}
@compute @workgroup_size(1)
fn main() {
  var q = 0.0;
  var gs: array<f32, ${2 * B}>; var gb: array<f32, ${2 * B}>;
  var ds: array<f32, ${B}>; var db: array<f32, ${B}>;
  for (var j = 0u; j < ${B}u; j = j + 1u) {
    var a = array<f32, 6>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (var t = 0u; t < ${T}u; t = t + 1u) {
${
      Array.from({ length: 6 }, (_, c) =>
        `      a[${c}] = a[${c}] + part[t * ${6 * B}u + ${c * B}u + j];`)
        .join("\n")
    }
    }
    let s = a[0]; let b = a[1];
    let bc = max(b, 1e-3); let r = s / bc; let l = log(1.0 + r);
    q = q + 2.0 * ((s + bc) * l - s);
    ds[j] = 2.0 * l; db[j] = select(0.0, 2.0 * (l - r), b > 1e-3);
    gs[j] = a[2]; gs[${B}u + j] = a[3]; gb[j] = a[4]; gb[${B}u + j] = a[5];
  }
  let z = sqrt(q);
  var gm = 0.0; var gt = 0.0;
  for (var j = 0u; j < ${B}u; j = j + 1u) {
    gm = gm + (ds[j] * gs[j] + db[j] * gb[j]) * 0.5 / z;
    gt = gt + (ds[j] * gs[${B}u + j] + db[j] * gb[${B}u + j]) * 0.5 / z;
  }
  result[0] = z; result[1] = gm; result[2] = gt;
}`;
    const mk = (code: string) =>
      device.createComputePipeline({
        layout: "auto",
        compute: { module: device.createShaderModule({ code }), entryPoint: "main" },
      });
    this.#pipelines = (kind === "tangent" ? [tan, tanFinish] : [fwd, fwdFinish, bwd, bwdFinish])
      .map(mk);
    const group = (p: GPUComputePipeline, bs: GPUBuffer[]) =>
      device.createBindGroup({
        layout: p.getBindGroupLayout(0),
        entries: bs.map((b, i) => ({ binding: i, resource: { buffer: b } })),
      });
    const [mtt, met, btag, wgt, sig] = data;
    const th = this.#theta;
    this.#groups = kind === "tangent"
      ? [
        group(this.#pipelines[0], [mtt, met, btag, wgt, sig, th, partHist]),
        group(this.#pipelines[1], [partHist, this.#result]),
      ]
      : [
        group(this.#pipelines[0], [mtt, met, btag, wgt, sig, th, partHist]),
        group(this.#pipelines[1], [partHist, coef, this.#result]),
        group(this.#pipelines[2], [mtt, met, btag, wgt, sig, th, coef, partGrad]),
        group(this.#pipelines[3], [partGrad, this.#result]),
      ];
  }

  /** Z and dZ/dθ at θ = (metCut, btagCut): one submit, one readback. */
  async run(theta: [number, number]): Promise<{ z: number; g: [number, number] }> {
    const device = this.#device;
    device.queue.writeBuffer(this.#theta, 0, new Float32Array(theta));
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    const wide = Math.ceil(this.#threads / 64);
    const wgs = this.#pipelines.length === 2 ? [wide, 1] : [wide, 1, wide, 1];
    this.#pipelines.forEach((p, i) => {
      pass.setPipeline(p);
      pass.setBindGroup(0, this.#groups[i]);
      pass.dispatchWorkgroups(wgs[i]);
    });
    pass.end();
    enc.copyBufferToBuffer(this.#result, 0, this.#staging, 0, 16);
    device.queue.submit([enc.finish()]);
    await this.#staging.mapAsync(GPUMapMode.READ);
    const r = new Float32Array(this.#staging.getMappedRange().slice(0));
    this.#staging.unmap();
    return { z: r[0], g: [r[1], r[2]] };
  }

  /** Frees the device buffers. */
  destroy(): void {
    for (const b of [...this.#buffers, this.#staging]) b.destroy();
  }
}
