import ArgumentParser
import EkyaRuntime

extension RuntimeSettings {
    /// These settings, validated (``RuntimeSettings/validate()``); an error names the command-line flag.
    func validatedForCommandLine() throws -> RuntimeSettings {
        do {
            try validate()
        } catch {
            throw ValidationError("\(error.setting.flag) \(error.message)")
        }
        return self
    }

    /// These settings, validated; an error names the configuration file and its key.
    func validated(file: String) throws -> RuntimeSettings {
        do {
            try validate()
        } catch {
            throw AppError.invalidOption("\(file): field '\(error.setting.configKey)' \(error.message)")
        }
        return self
    }
}
