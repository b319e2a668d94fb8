// Fuzz target: portfolio JSON (`Portfolio.parse`, Sources/RiskEngine/Inputs) against the example
// market, and the engine behind `metrics` on whatever the parser accepts.
//
// Oracles: an accepted portfolio is analysed without a trap (liquidation search included), and the
// report encodes as JSON that the strict parser reads back.
import RiskEngine

let exampleMarket: MarketSnapshot = {
    do { return try MarketSnapshot.parse(repositoryFile("Examples/market.json")) } catch {
        setupFailure("Examples/market.json: \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPortfolio(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard let book = try? Portfolio.parse(bytes, market: exampleMarket) else { return 0 }
    guard let report = try? RiskEngine.analyze(portfolio: book, market: exampleMarket) else { return 0 }
    guard let json = try? report.jsonBytes() else {
        check(false, "the risk report of an accepted portfolio does not encode as JSON")
        return 0
    }
    check((try? StrictJSON.parse(json)) != nil, "the risk report JSON does not parse back")
    return 0
}
