import Foundation
import RiskEngine

/// Readings of the numbers a person types at a desk: volatility and rates as decimals or
/// percentages, expiry as years, days or a date. The engine works in decimals and years
/// (SPEC §5), so "55" for a volatility almost always means 55 %, and "30" for an expiry almost
/// always means 30 days — both would price silently and wrongly. Such values are refused with
/// the reading the person most likely meant.
enum DeskInputs {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// "0.55", "55%" → 0.55. Values over 5 (500 %) are refused with a hint.
    static func volatility(_ text: String, option: String = "--vol") throws(Failure) -> Double {
        let v = try decimalOrPercent(text, option: option)
        guard v >= 0 else { throw Failure(description: "\(option): a volatility cannot be negative, got \(text)") }
        if v > 5 {
            throw Failure(description: "\(option) \(text) is a volatility of \(format(v * 100)) %; did you mean \(format(v / 100)) (\(text)%)? "
                          + "Volatility is a decimal (0.55) or a percentage (55%)")
        }
        return v
    }

    /// "0.04", "4%", "-0.5%" → 0.04. |rate| over 1 (100 %) is refused with a hint.
    static func rate(_ text: String, option: String = "--rate") throws(Failure) -> Double {
        let v = try decimalOrPercent(text, option: option)
        if abs(v) > 1 {
            throw Failure(description: "\(option) \(text) is a rate of \(format(v * 100)) %; did you mean \(format(v / 100)) (\(text)%)? "
                          + "Rates are decimals (0.04) or percentages (4%)")
        }
        return v
    }

    /// Years: "0.25" or "0.25y" (years), "30d" (days), "2026-12-26" or "2026-12-26T08:00:00Z" (a
    /// date, measured from `now` in 365-day years as the engine counts them, SPEC §6.1). A plain
    /// number over 10 is refused as probably meant in days. Months are not accepted (how long is
    /// a month?).
    static func expiry(_ text: String, now: Int64, option: String = "--expiry") throws(Failure) -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        let year = 365.0 * 86_400
        if t.hasSuffix("d"), let days = Double(t.dropLast()), days.isFinite {
            guard days >= 0 else { throw Failure(description: "\(option): a time to expiry cannot be negative, got \(text)") }
            return days / 365
        }
        if t.hasSuffix("y"), let years = Double(t.dropLast()), years.isFinite, years >= 0 { return years }
        if let date = Timestamp(iso8601: t.count == 10 ? t + "T00:00:00Z" : t) {
            let seconds = date.seconds - now
            guard seconds >= 0 else {
                throw Failure(description: "\(option) \(text) is in the past (now is \(Timestamp(seconds: now).iso8601))")
            }
            return Double(seconds) / year
        }
        guard let v = Double(t), v.isFinite else {
            throw Failure(description: "\(option): expected years (0.25), days (30d) or a date (2026-12-26), got \"\(text)\"")
        }
        guard v >= 0 else { throw Failure(description: "\(option): a time to expiry cannot be negative, got \(text)") }
        if v > 10 {
            throw Failure(description: "\(option) \(text) means \(format(v)) years; did you mean \(text)d (\(format(v / 365)) years)? "
                          + "Give years (0.25), days (30d) or a date (2026-12-26)")
        }
        return v
    }

    static func decimalOrPercent(_ text: String, option: String) throws(Failure) -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        let percent = t.hasSuffix("%")
        guard let v = Double(percent ? String(t.dropLast()) : t), v.isFinite else {
            throw Failure(description: "\(option): expected a decimal (0.55) or a percentage (55%), got \"\(text)\"")
        }
        return percent ? v / 100 : v
    }

    static func format(_ v: Double) -> String {
        let s = String(format: "%.6g", v)
        return s
    }
}
