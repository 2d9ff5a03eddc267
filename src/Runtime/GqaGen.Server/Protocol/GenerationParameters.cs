using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace GqaGen.Server.Protocol;

/// <summary>
/// The members <c>/v1/chat/completions</c> and <c>/v1/completions</c> share: the model name, the sampling and length
/// options, <c>stop</c>, <c>n</c> and streaming. Every value is range-checked here, so the model only ever sees values
/// it can honour.
/// </summary>
/// <param name="Model">The requested model name, or null when not given.</param>
/// <param name="MaxTokens">The most tokens to generate (<c>max_completion_tokens</c>, or the older <c>max_tokens</c>),
/// 1 to the context length; null: until an end token or the context is full.</param>
/// <param name="Temperature">0–2.</param>
/// <param name="TopP">Above 0, at most 1.</param>
/// <param name="TopK">≥ 0, 0 = off (llama-server's extension).</param>
/// <param name="Seed">The sampler's seed.</param>
/// <param name="Stop">Stop sequences, each non-empty; null: none.</param>
/// <param name="Stream">Whether to answer with server-sent events.</param>
/// <param name="IncludeUsage">Whether a streamed answer ends with a usage chunk (<c>stream_options.include_usage</c>).</param>
internal sealed record GenerationParameters(
    string? Model, int? MaxTokens, float? Temperature, float? TopP, int? TopK, long? Seed,
    IReadOnlyList<string>? Stop, bool Stream, bool IncludeUsage)
{
    /// <summary>Reads and checks the shared members of <paramref name="body"/>; unknown members are ignored.</summary>
    /// <param name="body">The request object.</param>
    /// <param name="contextLength">The model's context, the most <c>max_tokens</c> may ask for.</param>
    /// <exception cref="InvalidRequestException">A member has the wrong type or is out of range.</exception>
    public static GenerationParameters Read(JsonElement body, int contextLength)
    {
        string? model = RequestJson.TryGetMember(body, "model", out JsonElement value) ? RequestJson.GetString(value, "model") : null;

        // OpenAI renamed max_tokens to max_completion_tokens; clients send either. The newer name wins if both come.
        int? maxTokens = null;
        foreach (string name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (maxTokens is null && RequestJson.TryGetMember(body, name, out value))
            {
                maxTokens = (int)RequestJson.GetInteger(value, name, 1, contextLength,
                    $"Ask for 1 to {contextLength} tokens (the model's context, which the prompt shares), or leave it "
                    + "out to generate until the model ends its answer.");
            }
        }

        float? temperature = null;
        if (RequestJson.TryGetMember(body, "temperature", out value))
        {
            double t = RequestJson.GetNumber(value, "temperature");
            if (t is < 0 or > 2)
            {
                throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                    $"Invalid 'temperature': {Format(t)} is {(t < 0 ? "below the minimum, 0" : "above the maximum, 2")}. "
                    + "Give a value from 0 (always the most likely token) to 2.",
                    "temperature", t < 0 ? "decimal_below_min_value" : "decimal_above_max_value");
            }
            temperature = (float)t;
        }

        float? topP = null;
        if (RequestJson.TryGetMember(body, "top_p", out value))
        {
            double p = RequestJson.GetNumber(value, "top_p");
            if (p is <= 0 or > 1)
            {
                throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                    $"Invalid 'top_p': {Format(p)} is {(p <= 0 ? "not above 0" : "above the maximum, 1")}. Give a "
                    + "value above 0 and at most 1 (1 keeps every token).",
                    "top_p", p <= 0 ? "decimal_below_min_value" : "decimal_above_max_value");
            }
            topP = (float)p;
        }

        int? topK = RequestJson.TryGetMember(body, "top_k", out value)
            ? (int)RequestJson.GetInteger(value, "top_k", 0, int.MaxValue, "Give 0 (off) or the number of most likely tokens to keep.")
            : null;

        long? seed = RequestJson.TryGetMember(body, "seed", out value)
            ? RequestJson.GetInteger(value, "seed", long.MinValue, long.MaxValue, "Give a whole number.")
            : null;

        if (RequestJson.TryGetMember(body, "n", out value))
        {
            long n = RequestJson.GetInteger(value, "n", 1, long.MaxValue, "This server generates one choice per request.");
            if (n != 1)
            {
                throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                    $"Invalid 'n': {n}. This server generates one choice per request: send n = 1 or leave it out, and "
                    + "send several requests for several choices.", "n", "unsupported_value");
            }
        }

        // A client that sends tools expects tool calls back; ignoring them would answer a different question.
        if (RequestJson.TryGetMember(body, "tools", out value) && !(value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 0))
        {
            throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                "Invalid 'tools': this server does no tool calling. Leave 'tools' out.", "tools", "unsupported_parameter");
        }

        IReadOnlyList<string>? stop = RequestJson.TryGetMember(body, "stop", out value) ? ReadStop(value) : null;

        bool stream = RequestJson.TryGetMember(body, "stream", out value) && RequestJson.GetBoolean(value, "stream");
        bool includeUsage = false;
        if (RequestJson.TryGetMember(body, "stream_options", out value))
        {
            if (value.ValueKind != JsonValueKind.Object)
                throw RequestJson.WrongType("stream_options", """an object ({"include_usage": true})""", value);
            if (RequestJson.TryGetMember(value, "include_usage", out JsonElement include))
                includeUsage = RequestJson.GetBoolean(include, "stream_options.include_usage");
        }

        return new GenerationParameters(model, maxTokens, temperature, topP, topK, seed, stop, stream, includeUsage);
    }

    /// <summary>The options the model receives (see <see cref="IServedModel"/>'s remarks).</summary>
    public ChatOptions ToChatOptions(string modelId) => new()
    {
        ModelId = modelId,
        MaxOutputTokens = MaxTokens,
        Temperature = Temperature,
        TopP = TopP,
        TopK = TopK,
        Seed = Seed,
        StopSequences = Stop is null ? null : [.. Stop],
    };

    /// <summary>Refuses a request for a model other than the one served, with OpenAI's 404 <c>model_not_found</c>:
    /// a client that names a model expects that model, and answering with another would mislead it.</summary>
    public void EnsureServes(string modelId, bool acceptAnyModelName)
    {
        if (Model is not null && !acceptAnyModelName && !string.Equals(Model, modelId, StringComparison.Ordinal))
        {
            throw new InvalidRequestException(StatusCodes.Status404NotFound,
                $"The model '{Model}' does not exist: this server serves '{modelId}' only (see GET /v1/models). Send "
                + $"\"model\": \"{modelId}\" or leave 'model' out.", "model", "model_not_found");
        }
    }

    private static List<string> ReadStop(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
            return [CheckStop(RequestJson.GetString(value, "stop"), "stop")];
        if (value.ValueKind != JsonValueKind.Array)
            throw RequestJson.WrongType("stop", "a string or an array of strings", value);
        var stop = new List<string>(value.GetArrayLength());
        int index = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            string path = $"stop[{index++}]";
            stop.Add(CheckStop(RequestJson.GetString(item, path), path));
        }
        return stop;
    }

    private static string CheckStop(string sequence, string path) => sequence.Length > 0 ? sequence
        : throw new InvalidRequestException(StatusCodes.Status400BadRequest,
            $"Invalid '{path}': an empty stop sequence would end every answer before it starts; give non-empty text.",
            path, "invalid_value");

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
