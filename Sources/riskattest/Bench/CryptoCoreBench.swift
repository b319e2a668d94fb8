import CSodium
import Foundation
import Ristretto255

/// Field, scalar-multiplication and MSM benchmarks, with libsodium's ristretto255 scalar
/// multiplications measured in the same run as the baseline (ratios survive machine noise).
func cryptoCoreBenchmarks(reps: Int, only: String? = nil, msmSizes: [Int] = [64, 256, 1024, 4096, 16384, 65536]) -> [BenchRecord] {
    _ = sodium_init()
    var out = [BenchRecord]()
    func want(_ name: String) -> Bool { benchSelects(only, name) }
    var seed: UInt64 = 0x5eed
    func randomBytes(_ n: Int) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: n)
        for i in 0..<n {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            b[i] = UInt8(truncatingIfNeeded: seed >> 33)
        }
        return b
    }
    func randomScalar() -> Scalar { Scalar(reducing64: randomBytes(64)) }
    func randomPoint() -> RistrettoPoint { RistrettoPoint.fromUniformBytes(randomBytes(64)) }

    // field.mul: a dependent chain, so latency (not throughput) is measured, per operation.
    let fieldOps = 100_000
    let fa = FieldElement(bytes: randomBytes(32)), fb = FieldElement(bytes: randomBytes(32))
    if want("field.mul") { out.append(benchMeasure(name: "field.mul", reps: reps) {
        var x = fa
        for _ in 0..<fieldOps { x = x * fb }
        benchBlackHole(x)
    }.perOperation(fieldOps)) }
    if want("field.square") { out.append(benchMeasure(name: "field.square", reps: reps) {
        var x = fa
        for _ in 0..<fieldOps { x = x.square() }
        benchBlackHole(x)
    }.perOperation(fieldOps)) }
    benchBlackHole(fa); benchBlackHole(fb)
    // scalar.mul: a dependent chain of products mod ℓ (the verifier computes ~5 per generator).
    let sa = randomScalar(), sb = randomScalar()
    if want("scalar.mul") { out.append(benchMeasure(name: "scalar.mul", reps: reps) {
        var x = sa
        for _ in 0..<fieldOps { x = x * sb }
        benchBlackHole(x)
    }.perOperation(fieldOps)) }
    // The same chain with sb prepared once as a ScalarMultiplier (one Montgomery product each).
    let sbM = ScalarMultiplier(sb)
    if want("scalar.mul.prepared") { out.append(benchMeasure(name: "scalar.mul.prepared", reps: reps) {
        var x = sa
        for _ in 0..<fieldOps { x = sbM(x) }
        benchBlackHole(x)
    }.perOperation(fieldOps)) }

    // Scalar multiplications: batches of `batch` operations, reported per operation.
    let batch = 50
    let scalars = (0..<batch).map { _ in randomScalar() }
    let points = (0..<batch).map { _ in randomPoint() }
    let scalarBytes = scalars.map { $0.bytes }
    let pointBytes = points.map { $0.compressed() }
    var sink = RistrettoPoint.identity
    let table = FixedBaseTable.generatorTable
    var q = [UInt8](repeating: 0, count: 32)
    // Ours and libsodium's, interleaved rep by rep (see benchMeasureInterleaved).
    let smItems: [(name: String, body: () -> Void)] = [
        ("scalarmult.variable", {   // constant time, point in, point out
            for i in 0..<batch { benchBlackHole(scalars[i] * points[i]) }
        }),
        ("scalarmult.variable.vartime", {
            for i in 0..<batch { benchBlackHole(points[i].mulVartime(scalars[i])) }
        }),
        ("scalarmult.variable.bytes", {   // decode + constant-time multiply + encode, like libsodium's call
            for i in 0..<batch {
                if let p = try? RistrettoPoint(compressed: pointBytes[i]) { benchBlackHole((scalars[i] * p).compressed()) }
            }
        }),
        ("libsodium.scalarmult.variable", {
            for i in 0..<batch { _ = crypto_scalarmult_ristretto255(&q, scalarBytes[i], pointBytes[i]) }
        }),
        ("scalarmult.fixed", {
            for i in 0..<batch { benchBlackHole(table.mul(scalars[i])) }
        }),
        ("scalarmult.fixed.bytes", {
            for i in 0..<batch { benchBlackHole(table.mul(scalars[i]).compressed()) }
        }),
        ("libsodium.scalarmult.fixed", {
            for i in 0..<batch { _ = crypto_scalarmult_ristretto255_base(&q, scalarBytes[i]) }
        }),
    ].filter { want($0.name) }
    out += benchMeasureInterleaved(smItems, reps: reps).map { $0.perOperation(batch) }
    benchBlackHole(q)
    if want("point.compress") { out.append(benchMeasure(name: "point.compress", reps: reps) {
        for i in 0..<batch { benchBlackHole(points[i].compressed()) }
    }.perOperation(batch)) }
    if want("point.decompress") { out.append(benchMeasure(name: "point.decompress", reps: reps) {
        for i in 0..<batch { benchBlackHole(try? RistrettoPoint(compressed: pointBytes[i])) }
    }.perOperation(batch)) }

    // MSM over random scalars and points.
    let sizes = msmSizes
    let maxN = sizes.max() ?? 0
    var msmScalars = [Scalar](), msmPoints = [RistrettoPoint]()
    msmScalars.reserveCapacity(maxN); msmPoints.reserveCapacity(maxN)
    // Points as random multiples of a few mapped points (fast to generate, still unrelated digits).
    let seedPoints = (0..<16).map { _ in randomPoint() }
    var acc = seedPoints[0]
    for i in 0..<maxN {
        acc = acc + seedPoints[i % 16]
        msmPoints.append(acc)
        msmScalars.append(randomScalar())
    }
    for n in sizes {
        let r = n >= 16384 ? max(1, reps / 5) : (n >= 4096 ? max(1, reps / 2) : reps)
        let ss = Array(msmScalars[0..<n]), ps = Array(msmPoints[0..<n])
        if want("msm") { out.append(benchMeasure(name: "msm", count: n, reps: r) {
            sink = sink + RistrettoPoint.multiscalarMulVartime(ss, ps)
        }) }
        // The same sum over points prepared once (what a warm VerifierContext keeps), and over
        // window-shifted fixed-base tables; their one-off builds are timed separately.
        if want("msm.prepared") {
            var prepared: VartimePreparedPoints? = nil
            out.append(benchMeasure(name: "msm.prepared.build", count: n, reps: min(r, 3)) { prepared = VartimePreparedPoints(ps) })
            let pp = prepared!
            out.append(benchMeasure(name: "msm.prepared", count: n, reps: r) {
                sink = sink + RistrettoPoint.multiscalarMulVartime(ss, prepared: pp)
            })
        }
        // Window 13 is what a VerifierContext uses for large generator sets; 16 is what the cost
        // model alone would pick for 41,000-57,000 points (its buckets outgrow the L2 cache).
        for w in [13, 16] where want("msm.fixed_base.w\(w)") {
            var tables: VartimeFixedBaseMSM? = nil
            out.append(benchMeasure(name: "msm.fixed_base.w\(w).build", count: n, reps: 1) {
                tables = VartimeFixedBaseMSM(points: ps, window: w)
            })
            let t = tables!
            benchNote("msm.fixed_base n=\(n): window \(t.window), \(t.tableBytes >> 20) MiB")
            out.append(benchMeasure(name: "msm.fixed_base.w\(w)", count: n, reps: r) { sink = sink + t.mul(staticScalars: ss) })
        }
    }
    benchBlackHole(sink)
    return out
}
