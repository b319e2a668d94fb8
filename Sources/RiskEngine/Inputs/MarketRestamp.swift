/// Moves every time in a market snapshot by the same amount, so that its `as_of` becomes a
/// given time: the example snapshot, re-dated to now, for demonstrations and the service's
/// tests (a verifier refuses attestations made on a snapshot more than an hour old, and judges
/// validity at the time it receives them).
///
/// Textual: each JSON string of exactly the form "YYYY-MM-DDTHH:MM:SSZ" is replaced by the time
/// shifted by Δ = new as_of − old as_of; every other byte is kept. Shifting all times together
/// keeps every interval the engine uses (price ages, times to expiry, funding periods) exactly
/// as it was, so the restamped snapshot prices the same book the same way. The result is
/// parsed again before it is returned.
public enum MarketRestamp {
    public static func shift(_ bytes: [UInt8], toAsOf newAsOf: Int64) throws(InputError) -> [UInt8] {
        let market = try MarketSnapshot.parse(bytes)
        let delta = newAsOf - market.asOf.seconds
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        let n = bytes.count
        // "YYYY-MM-DDTHH:MM:SSZ" with its quotes: 22 bytes.
        while i < n {
            if bytes[i] == UInt8(ascii: "\""), i + 21 < n, bytes[i + 21] == UInt8(ascii: "\""), bytes[i + 20] == UInt8(ascii: "Z"),
               bytes[i + 11] == UInt8(ascii: "T"),
               let t = Timestamp(iso8601: String(decoding: bytes[(i + 1)..<(i + 21)], as: UTF8.self)) {
                out.append(UInt8(ascii: "\""))
                out += Array(Timestamp(seconds: t.seconds + delta).iso8601.utf8)
                out.append(UInt8(ascii: "\""))
                i += 22
            } else {
                out.append(bytes[i]); i += 1
            }
        }
        let again = try MarketSnapshot.parse(out)
        guard again.asOf.seconds == newAsOf else {
            throw InputError(path: "as_of", message: "could not be restamped (it is not of the form YYYY-MM-DDTHH:MM:SSZ)")
        }
        return out
    }
}
