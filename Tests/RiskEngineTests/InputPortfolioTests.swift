import Foundation
import XCTest
@testable import RiskEngine

final class InputPortfolioTests: XCTestCase {
    private func market() throws -> MarketSnapshot { try InputFixtures.parsedMarket() }

    private func expectError(_ text: String, path: String, _ fragments: String...,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let m = try market()
        do {
            _ = try Portfolio.parse(Array(text.utf8), market: m)
            XCTFail("accepted an invalid portfolio", file: file, line: line)
        } catch {
            XCTAssertEqual(error.path, path, "message: \(error.message)", file: file, line: line)
            for f in fragments {
                XCTAssertTrue(error.message.contains(f), "message \"\(error.message)\" lacks \"\(f)\"", file: file, line: line)
            }
        }
    }
    private func edit(_ old: String, _ new: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        InputFixtures.edit(InputFixtures.portfolio, old, new, file: file, line: line)
    }

    func testExamplePortfolioParses() throws {
        let m = try market()
        let p = try Portfolio.parse(Array(InputFixtures.portfolio.utf8), market: m)
        XCTAssertEqual(p.marginMode, .portfolio)
        XCTAssertEqual(p.positions.count, 16)
        XCTAssertEqual(Set(p.positions.compactMap(\.venue)), ["binance", "deribit"])
        for pos in p.positions { XCTAssertNotNil(m.instrumentIndex(pos.instrument), pos.instrument) }
        // Exact 10^-8 units, worked by hand from the text.
        XCTAssertEqual(p.positions[0].quantityUnits, 1_425_000_000)        // 14.25
        XCTAssertEqual(p.positions[2].quantityUnits, -3_050_000_000)       // -30.5
        XCTAssertEqual(p.positions[4].quantityUnits, -1_500_000_000_000)   // -15000
        XCTAssertEqual(p.positions[2].quantity, -30.5)
        XCTAssertEqual(p.positions[0].entryPrice, 95_210.4)
        XCTAssertEqual(p.positions[0].account, "main")
        XCTAssertEqual(p.collateral.map(\.asset), ["USDC", "BTC", "ETH"])
        XCTAssertEqual(p.collateral.map(\.amountUnits), [3_187_500_000_000, 650_000_000, 8_012_500_000])
        for b in p.collateral { XCTAssertEqual(Double(b.amountUnits) / 1e8, b.amount) }
    }

    /// The example book is solvent with a sensible margin ratio. Reference figures come from an
    /// independent Python Black–Scholes revaluation of the same files (math.erfc normal CDF,
    /// SPEC §6 conventions, `Vectors/metrics/example-book-check.py`): equity 965,663.62 USD, worst
    /// weighted loss 323,833.65 ("tail -66% vol up"; the December and March options price off
    /// their listed futures, format version 3), minimum delta requirement 43,408.52.
    func testExampleBookIsSolventUnderPortfolioMargin() throws {
        let m = try market()
        let p = try Portfolio.parse(Array(InputFixtures.portfolio.utf8), market: m)
        let r = try RiskEngine.analyze(portfolio: p, market: m)
        XCTAssertEqual(r.totals.equity, 965_663.6, accuracy: 2)
        XCTAssertEqual(r.margin.portfolio.initial, 323_833.65, accuracy: 0.05)
        XCTAssertEqual(try XCTUnwrap(r.margin.portfolioMinDelta).total, 43_408.52, accuracy: 0.05)
        XCTAssertEqual(r.margin.portfolioWorstScenario, "tail -66% vol up")
        XCTAssertFalse(r.margin.liquidatable)
        let ratio = try XCTUnwrap(r.margin.marginRatio)
        XCTAssertGreaterThan(ratio, 0.1)
        XCTAssertLessThan(ratio, 0.3)
    }

    func testUnknownInstrumentAndAsset() throws {
        try expectError(edit(#""instrument": "BTC-25DEC26","#, #""instrument": "BTC-26DEC26","#),
                        path: "positions[5].instrument", "unknown instrument \"BTC-26DEC26\"", "example-2026-11-24T0800Z")
        try expectError(edit(#""asset": "ETH""#, #""asset": "SOL""#), path: "collateral[2].asset", "unknown collateral asset \"SOL\"")
    }

    func testDuplicates() throws {
        // The same instrument at another venue/account is a separate position; at the same one it is not.
        try expectError(edit(#""instrument": "ETHUSDT-26MAR27""#, #""instrument": "ETHUSDT-PERP""#),
                        path: "positions[3]", "duplicate position", "positions[2]")
        let other = edit(#""instrument": "ETHUSDT-26MAR27", "quantity": 12, "entry_price": 3652.1, "venue": "binance""#,
                         #""instrument": "ETHUSDT-PERP", "quantity": 12, "entry_price": 3652.1, "venue": "okx""#)
        XCTAssertNoThrow(try Portfolio.parse(Array(other.utf8), market: market()))
        try expectError(edit(#""asset": "ETH""#, #""asset": "BTC""#), path: "collateral[2].asset", "duplicate collateral balance")
    }

    func testQuantitiesAndAmounts() throws {
        try expectError(edit(#""quantity": 14.25"#, #""quantity": 14.123456789"#), path: "positions[0].quantity",
                        "more than 8 decimal places")
        try expectError(edit(#""quantity": 14.25"#, #""quantity": 2e10"#), path: "positions[0].quantity",
                        "out of range [-10000000000, 10000000000]")
        try expectError(edit(#""quantity": 14.25"#, #""quantity": "4.25""#), path: "positions[0].quantity", "expected a number")
        try expectError(edit(#""quantity": 14.25"#, #""quantity": NaN"#), path: "@byte \(byteOffset("NaN", edit(#""quantity": 14.25"#, #""quantity": NaN"#)))",
                        "NaN")
        try expectError(edit(#""entry_price": 95210.4"#, #""entry_price": -1"#), path: "positions[0].entry_price",
                        "must not be negative")
        // Negative balances (borrowing) are allowed and exact.
        let neg = edit(#""amount": 31875"#, #""amount": -60000.00000001"#)
        let p = try Portfolio.parse(Array(neg.utf8), market: market())
        XCTAssertEqual(p.collateral[0].amountUnits, -6_000_000_000_001)
        // Exponent forms are exact too.
        let e = try Portfolio.parse(Array(edit(#""quantity": 14.25"#, #""quantity": 1425E-2"#).utf8), market: market())
        XCTAssertEqual(e.positions[0].quantityUnits, 1_425_000_000)
    }

    private func byteOffset(_ needle: String, _ text: String) -> Int {
        guard let r = text.range(of: needle) else { return -1 }
        return text.utf8.distance(from: text.startIndex, to: r.lowerBound)
    }

    func testFieldsAndModes() throws {
        try expectError(edit(#""margin_mode": "portfolio""#, #""margin_mode": "hybrid""#), path: "margin_mode",
                        "\"hybrid\" is not one of \"isolated\", \"cross\", \"portfolio\"")
        try expectError(edit(#""venue": "binance", "account": "main"}"#, #""venue": "binance", "acount": "main"}"#),
                        path: "positions[0].acount", "unknown field \"acount\"")
        try expectError(edit(#""instrument": "BTCUSDT-PERP", "quantity": 14.25, "#, #""instrument": "BTCUSDT-PERP", "#),
                        path: "positions[0].quantity", "missing required field \"quantity\"")
        try expectError(edit(#""schema": "riskattest.portfolio/1""#, #""schema": "riskattest.market/1""#), path: "schema",
                        "expected \"riskattest.portfolio/1\"")
        try expectError(edit(#""venue": "binance""#, #""venue": """#), path: "positions[0].venue", "must not be empty")
        // Venue and account are optional.
        let bare = edit(#", "venue": "binance", "account": "main"}"#, "}")
        let p = try Portfolio.parse(Array(bare.utf8), market: market())
        XCTAssertNil(p.positions[0].venue)
        XCTAssertNil(p.positions[0].account)
    }

    func testPositionCountLimit() throws {
        let many = "[" + Array(repeating: "{}", count: PortfolioLimits.maxPositions + 1).joined(separator: ",") + "]"
        let text = "{\"schema\": \"riskattest.portfolio/1\", \"margin_mode\": \"cross\", \"positions\": \(many), \"collateral\": []}"
        try expectError(text, path: "positions", "100001 entries, more than the limit of 100000")
    }
}
