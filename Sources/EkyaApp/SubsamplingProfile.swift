import EkyaCore
import Foundation

/// Reads an inference subsampling profile (`subsampling,c1,c2,…`) into an ``InferenceScaling``.
enum SubsamplingProfile {
    static func parse(_ text: String, file: String, column: String, fullRateShare: Double) throws -> InferenceScaling {
        let lines = text.split(whereSeparator: \.isNewline).map { String($0) }.filter {
            !$0.trimmingCharacters(in: .whitespaces).isEmpty
        }
        guard let header = lines.first?.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }),
            header.first == "subsampling"
        else { throw AppError.invalidOption("\(file):1: expected a header starting with 'subsampling'") }
        guard let index = header.firstIndex(of: column) else {
            throw AppError.invalidOption(
                "\(file):1: no column '\(column)'; columns: \(header.dropFirst().joined(separator: ", "))"
            )
        }
        var points: [InferenceScaling.Point] = []
        for (offset, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard fields.count > index, let factor = Double(fields[0]), let accuracy = Double(fields[index]) else {
                throw AppError.invalidOption("\(file):\(offset + 1): expected numbers in 'subsampling' and '\(column)'")
            }
            points.append(InferenceScaling.Point(subsampling: factor, accuracyFactor: accuracy))
        }
        do {
            return try InferenceScaling.subsampling(points: points, fullRateShare: fullRateShare)
        } catch {
            throw AppError.invalidOption("\(file): \(error)")
        }
    }
}
