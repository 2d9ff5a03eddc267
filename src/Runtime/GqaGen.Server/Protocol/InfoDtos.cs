namespace GqaGen.Server.Protocol;

/// <summary>The answer of <c>GET /v1/models</c> (<c>"object": "list"</c>).</summary>
/// <param name="Data">The one served model.</param>
internal sealed record ModelList(IReadOnlyList<ModelCard> Data)
{
    /// <summary>The object type.</summary>
    public string Object => "list";
}

/// <summary>OpenAI's model object (<c>"object": "model"</c>).</summary>
/// <param name="Id">The model's id, the value of a request's <c>model</c>.</param>
/// <param name="Created">Unix seconds when the server was built (a GGUF file records no creation time).</param>
/// <param name="OwnedBy">Who serves it: <c>gqagen</c>.</param>
internal sealed record ModelCard(string Id, long Created, string OwnedBy)
{
    /// <summary>The object type.</summary>
    public string Object => "model";
}

/// <summary>The answer of <c>GET /health</c>, llama-server's shape.</summary>
/// <param name="Status"><c>ok</c>.</param>
internal sealed record HealthStatus(string Status);

/// <summary>The answer of <c>POST /apply-template</c>, llama-server's shape.</summary>
/// <param name="Prompt">The formatted prompt.</param>
internal sealed record AppliedTemplate(string Prompt);
