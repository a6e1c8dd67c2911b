import EkyaCore
import EkyaData
import EkyaML

/// What users got over the window, what the window-accuracy model says about it, and the share errors.
extension WindowRun {
    /// Per-frame accuracy users got, per-second series, the model's prediction, and share errors.
    func measure() throws -> (carried: [Int?], perSecond: [[Double]]) {
        var carried = inputs.map(\.carried)
        var perSecond: [[Double]] = []
        let seconds = Int(settings.windowSeconds)
        for index in streams.indices {
            let inference = streams[index].inference
            let (correct, last) = inference.correctness(carryingIn: carried[index])
            carried[index] = last
            streams[index].record.measuredAccuracy =
                correct.isEmpty ? 0 : Double(correct.filter { $0 }.count) / Double(correct.count)
            perSecond.append(WindowAccuracy.perSecond(arrivals: inference.arrivals, correct: correct, seconds: seconds))
            // Spec §2's model on the executed plan. The models that served, with the time each took over: the
            // window's start model, then every swapped-in model (profiled, epochs, retrained, refined).
            var served = [(time: 0.0, accuracy: try frameAccuracy(of: streams[index].initialServing, index: index))]
            for swap in streams[index].swaps {
                served.append((swap.time, try frameAccuracy(of: swap.model, index: index)))
            }
            streams[index].record.simulatedAccuracy = WindowAccuracy.modelled(
                served: served,
                shares: streams[index].shareLog,
                seconds: seconds,
                scaling: scaling
            )
            var accountings = streams[index].retiredAccounting
            if let accounting = executor.accounting(of: inference.id) { accountings.append(accounting) }
            if let job = streams[index].refinement, let accounting = executor.accounting(of: job.id) {
                accountings.append(accounting)
            }
            if let job = profiling, job.stream == index, let accounting = executor.accounting(of: job.id) {
                accountings.append(accounting)
            }
            // Achieved vs allocated share over the window (device-seconds over the window's length).
            streams[index].record.shareError =
                accountings.map { abs($0.used - $0.allocated) / settings.windowSeconds }.max() ?? 0
        }
        return (carried, perSecond)
    }

    /// Accuracy of `model` on the window's inference frames of stream `index`.
    func frameAccuracy(of model: TorchModel, index: Int) throws -> Double {
        let frames = streams[index].data.test
        guard !frames.isEmpty,
            let batch = ImageBatch(
                count: frames.count,
                channels: 1,
                height: CropBatch.side,
                width: CropBatch.side,
                pixels: frames.pixels
            )
        else { return 0 }
        let predictions = try model.predict(batch, batchSize: 256)
        return Double(zip(predictions, frames.labels).filter { $0.0.classIndex == $0.1 }.count) / Double(frames.count)
    }
}
