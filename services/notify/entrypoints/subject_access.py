"""``POST /api/v1/subject-access``: the mails about a person's concerns, for an administrator answering the
person's access request (GDPR art. 15). Notify knows no CPR number: it is given the concerns intake, routing
and audit found. It keeps no personal data of the person, and says so; nothing it answers is personal, so
the export is logged by audit (the request) and the services that hold the data, not here."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.subject_access import MailsRequest, NotifyPart
from infohus.kit.auth import Permission, require
from services.notify.adapters.subject_access import mails_about
from services.notify.bootstrap import NotifyContainer

PATH = "/api/v1/subject-access"
STATEMENT_DA = ("Notify (udsendelse af mails) gemmer ingen personoplysninger om personen: ingen navne, "
                "CPR-numre, beskrivelser eller kontaktoplysninger. Mails om personens henvendelser indeholder "
                "kun referencenummer, prioritet, frister, aldersgruppe og et link til sagen; de er listet her "
                "med postkasse, formål og tidspunkt.")


def subject_access_router(container: NotifyContainer) -> APIRouter:
    router = APIRouter(tags=["subject access"])

    @router.post(PATH, dependencies=[require(Permission.SUBJECT_ACCESS)], summary="The mails about concerns")
    async def subject_access(body: MailsRequest) -> NotifyPart:
        """The mails about these concerns, oldest first: mailbox, purpose, state and times; no address or text."""
        async with container.unit_of_work() as uow:
            mails = await mails_about(uow.session, {str(concern_id) for concern_id in body.concern_ids})
        return NotifyPart(holds_personal_data=False, statement_da=STATEMENT_DA, mails=mails)

    return router
