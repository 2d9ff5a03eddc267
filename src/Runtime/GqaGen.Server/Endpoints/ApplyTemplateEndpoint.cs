using System.Text.Json;
using GqaGen.Server.Hosting;
using GqaGen.Server.Protocol;
using Microsoft.AspNetCore.Http;

namespace GqaGen.Server.Endpoints;

/// <summary>
/// <c>POST /apply-template</c> (llama-server's): the prompt the model's chat template makes of <c>messages</c>, as
/// <c>{"prompt": …}</c>, without generating. Not queued: formatting does not touch the model's state.
/// </summary>
internal sealed class ApplyTemplateEndpoint(ServerState state)
{
    /// <summary>Answers one request.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        using JsonDocument body = await RequestJson.ReadObjectAsync(context.Request, context.RequestAborted);
        var messages = ChatMessagesReader.Read(body.RootElement);
        string prompt;
        try
        {
            prompt = state.Model.ApplyTemplate(messages);
        }
        catch (ArgumentException exception)
        {
            throw InvalidRequestException.RejectedByModel(exception);
        }
        await JsonResponses.WriteAsync(context.Response, StatusCodes.Status200OK, new AppliedTemplate(prompt),
            ServerJsonContext.Relaxed.AppliedTemplate, context.RequestAborted);
    }
}
