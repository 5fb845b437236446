"""What the enterprise is told about its petition (告知): a notice for each step it must hear of
(handed to a department, transferred, extended, the result, the return visit), shown in the widget's
chat and 消息, and sent by SMS through an outbox. The SMS sender is an interface; the development one
records what would be sent and never claims a delivery."""
