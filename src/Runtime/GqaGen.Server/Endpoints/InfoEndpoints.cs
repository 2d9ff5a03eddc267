using GqaGen.Server.Hosting;
using GqaGen.Server.Protocol;
using Microsoft.AspNetCore.Http;

namespace GqaGen.Server.Endpoints;

/// <summary><c>GET /health</c>, <c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: what is served, without
/// queueing for the model.</summary>
internal sealed class InfoEndpoints(ServerState state)
{
    private const string OwnedBy = "gqagen";

    /// <summary><c>{"status": "ok"}</c>, llama-server's answer once its model is loaded (the server is built on a
    /// loaded model, so it is always ready).</summary>
    public Task HealthAsync(HttpContext context) =>
        JsonResponses.WriteAsync(context.Response, StatusCodes.Status200OK, new HealthStatus("ok"),
            ServerJsonContext.Relaxed.HealthStatus, context.RequestAborted);

    /// <summary>The list of models: the one served.</summary>
    public Task ListAsync(HttpContext context) =>
        JsonResponses.WriteAsync(context.Response, StatusCodes.Status200OK, new ModelList([Card]),
            ServerJsonContext.Relaxed.ModelList, context.RequestAborted);

    /// <summary>The model named in the path, or 404 <c>model_not_found</c>.</summary>
    public Task GetAsync(HttpContext context)
    {
        string? id = context.Request.RouteValues["id"] as string;
        if (!string.Equals(id, state.Model.Id, StringComparison.Ordinal))
        {
            throw new InvalidRequestException(StatusCodes.Status404NotFound,
                $"The model '{id}' does not exist: this server serves '{state.Model.Id}' only.", "model", "model_not_found");
        }
        return JsonResponses.WriteAsync(context.Response, StatusCodes.Status200OK, Card,
            ServerJsonContext.Relaxed.ModelCard, context.RequestAborted);
    }

    private ModelCard Card => new(state.Model.Id, state.BuiltAt, OwnedBy);
}
