import ArgumentParser
import EkyaCore
import Foundation

/// `ekya curve`: predict accuracy at several epoch counts from a start accuracy and profiled points.
struct CurveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curve",
        abstract: "Fit a learning curve to micro-profiled accuracies and predict accuracy at other epoch counts.",
        discussion: "Prints one line per epoch count: '<epochs> <predicted accuracy>' (6 decimals)."
    )

    @Option(help: "Accuracy of the current model before retraining (a0), in 0...1.")
    var start: Double

    @Option(help: "Profiled points as epochs:accuracy, comma-separated (e.g. 5:0.80 or 1:0.7,3:0.78,5:0.8).")
    var observed: String

    @Option(help: "Comma-separated epoch counts to predict.")
    var predict: String

    @Option(help: "Predictor: ekya-optimus (the Ekya authors' procedure), optimus-all or optimus-work (ours).")
    var predictor: PredictorKind = .ekyaOptimus

    func validate() throws {
        guard (0...1).contains(start) else { throw ValidationError("--start must be an accuracy in 0...1") }
        _ = try points()
        _ = try epochs()
    }

    func points() throws -> [(epochs: Double, accuracy: Double)] {
        try observed.split(separator: ",").map { item in
            let parts = item.split(separator: ":")
            guard parts.count == 2, let epochs = Double(parts[0]), let accuracy = Double(parts[1]),
                epochs > 0, epochs.isFinite, (0...1).contains(accuracy)
            else {
                throw ValidationError(
                    "--observed: '\(item)' is not epochs:accuracy with epochs > 0 and accuracy in 0...1"
                )
            }
            return (epochs, accuracy)
        }.sorted { $0.epochs < $1.epochs }
    }

    func epochs() throws -> [Double] {
        try predict.split(separator: ",").map { item in
            guard let value = Double(item), value >= 0, value.isFinite else {
                throw ValidationError("--predict: '\(item)' is not a non-negative number of epochs")
            }
            return value
        }
    }

    func run() throws {
        let chosen = predictor.predictor
        let observations = try points()
        for epochs in try epochs() {
            let value = chosen.predict(startAccuracy: start, observed: observations, epochs: epochs)
            let label = epochs == epochs.rounded() ? String(Int(epochs)) : String(epochs)
            print("\(label) \(String(format: "%.6f", value))")
        }
    }
}
