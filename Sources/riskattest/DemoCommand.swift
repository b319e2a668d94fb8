import ArgumentParser
import Foundation
import RiskEngine

/// `riskattest demo`: the whole story on the bundled example data.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the end-to-end demonstration on the bundled example data (Examples/).")

    @Option(name: .long, help: "Folder holding market.json and portfolio.json.")
    var examples: String = "Examples"

    func run() throws {
        let market = (examples as NSString).appendingPathComponent("market.json")
        let portfolio = (examples as NSString).appendingPathComponent("portfolio.json")
        print("== 1. Risk metrics of the example book (\(portfolio) against \(market))\n")
        do {
            let report = try Metrics.compute(portfolioPath: portfolio, marketPath: market, targetDelta: [],
                                             targetMarginRatio: 0.5)
            print(MetricsText.render(report), terminator: "")
        } catch {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }
}
