// Fuzz target: market snapshot JSON (`MarketSnapshot.parse`, Sources/RiskEngine/Inputs), read by
// `metrics`, `price`, `prove` and `verify`.
//
// Oracles: a snapshot the parser accepts must be usable: the engine analyses the example portfolio
// against it (when the portfolio's instruments exist in it) without a trap, and the report must
// encode as JSON that the strict parser reads back (no NaN or infinity can reach `--json` output).
import RiskEngine

let examplePortfolio = repositoryFile("Examples/portfolio.json")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMarket(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard let market = try? MarketSnapshot.parse(bytes) else { return 0 }
    // Ids are unique: every instrument is found at its own index.
    for (i, instrument) in market.instruments.enumerated() {
        check(market.instrumentIndex(instrument.id) == i, "instrument id \(instrument.id) is not unique")
    }
    guard let book = try? Portfolio.parse(examplePortfolio, market: market) else { return 0 }
    let options = AnalysisOptions(liquidationPrices: false)
    guard let report = try? RiskEngine.analyze(portfolio: book, market: market, options: options) else { return 0 }
    checkReportJSON(report)
    return 0
}

/// The report of an accepted input must encode, and the encoding must be strict JSON.
func checkReportJSON(_ report: RiskReport) {
    guard let json = try? report.jsonBytes() else {
        check(false, "the risk report of an accepted input does not encode as JSON")
        return
    }
    check((try? StrictJSON.parse(json)) != nil, "the risk report JSON does not parse back")
}
