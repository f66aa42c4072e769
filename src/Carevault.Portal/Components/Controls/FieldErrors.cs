using Microsoft.AspNetCore.Components.Forms;

namespace Carevault.Portal.Components.Controls;

/// <summary>Errors the server finds after the form's own checks (a taken username, a weak password): shown inline at the field.</summary>
public sealed class FieldErrors(EditContext edit)
{
    readonly ValidationMessageStore _store = new(edit);

    public void Add(object model, string field, string message)
    {
        _store.Add(new FieldIdentifier(model, field), message);
        edit.NotifyValidationStateChanged();
    }
}
