namespace Thorax.Cli.Commands;

/// <summary>Maps library exceptions to messages and exit codes: 2 for bad input (file/field named), 1 otherwise.
/// <c>THORAX_TRACE=1</c> adds the managed stack trace of an engine error.</summary>
internal static class CliErrors
{
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (IsInputError(e))
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 2;
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            // libtorch errors arrive from TorchSharp as ExternalException with PyTorch's message.
            Console.Error.WriteLine("engine error: " + e.Message);
            if (Environment.GetEnvironmentVariable("THORAX_TRACE") == "1") Console.Error.WriteLine(e.StackTrace);
            return 1;
        }
        catch (Thorax.Models.Runtime.TorchRuntimeException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    /// <summary>Whether <paramref name="e"/> is about the user's input (a file, field or option) rather than a fault.</summary>
    public static bool IsInputError(Exception e) =>
        e is FileNotFoundException or DirectoryNotFoundException or ArgumentException or FormatException or InvalidDataException
        || e.GetType().Namespace is "Thorax.Dicom" or "Thorax.Imaging" or "Thorax.Data" or "Thorax.Metrics" or "Thorax.Synthetic"
            or "Thorax.Models.Weights" or "Thorax.Models.Weights.Onnx" or "Thorax.Training" or "Thorax.Text";
}
