"""The [declaration] settings of the site server: the health questions, retention and limits.

A pydantic model with a default and a description on every field and unknown keys refused,
so the server's config tree can hold it as one table.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

QUESTION_ID = r"^[a-z][a-z0-9_]{0,31}$"


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(..., pattern=QUESTION_ID, description="Short name of the question (form field, refusal reason)")
    vi: str = Field(..., min_length=1, max_length=300, description="The question in Vietnamese")
    en: str = Field(..., min_length=1, max_length=300, description="The question in English")
    refuse_if_yes: bool = Field(True, description="A 'yes' refuses the declaration (the visitor sees the guard)")


DEFAULT_QUESTIONS = (
    Question(id="fever", vi="Trong 14 ngày qua, anh/chị có bị sốt không?",
             en="In the last 14 days, have you had a fever?"),
    Question(id="cough", vi="Anh/chị có ho, khó thở hoặc đau họng không?",
             en="Do you have a cough, shortness of breath or a sore throat?"),
    Question(id="contact", vi="Trong 14 ngày qua, anh/chị có tiếp xúc gần với ca bệnh hoặc người nghi nhiễm không?",
             en="In the last 14 days, have you been in close contact with a case or a suspected case?"),
)


class DeclarationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="Serve the declaration form at /declare")
    site: str = Field("", max_length=64, description="The [[sites]] id whose visitors declare (its secret_file keys "
                                                     "the pseudonyms, its tz the days); empty: the first site")
    page_url: str = Field("", max_length=300, description="The form's address the venue QR points to (http:// or "
                                                          "https://, reachable from visitors' phones); empty: the "
                                                          "server's own address + /declare")
    venue_name: str = Field("", max_length=80, description="The venue's name printed on the venue QR poster")
    site_number: int = Field(0, ge=0, le=0xFFFF, description="The site number written in day passes (the gates' "
                                                              "policy.site_number); 0: valid at any site")
    timezone: str = Field("Asia/Ho_Chi_Minh", description="The site's time zone: a day pass is valid that local "
                                                          "day (the site server uses the site's tz)")
    retention_days: int = Field(21, ge=1, le=366, description="Days the contact details are kept, then purged "
                                                              "(stated on the form)")
    questions: list[Question] = Field(default_factory=lambda: list(DEFAULT_QUESTIONS),
                                      description="The health questions, in order; refuse_if_yes marks a refusing "
                                                  "answer")
    per_address_per_minute: int = Field(10, ge=1, description="Form submissions one network address may make a minute")
    per_phone_per_day: int = Field(5, ge=1, description="Declarations one phone number may submit a day")
    max_body_bytes: int = Field(8192, ge=1024, le=65536, description="Largest form body accepted")

    @field_validator("questions")
    @classmethod
    def _unique_ids(cls, questions: list[Question]) -> list[Question]:
        ids = [q.id for q in questions]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique")
        return questions

    @field_validator("page_url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if url and not url.startswith(("http://", "https://")):
            raise ValueError("page_url must start with http:// or https://")
        return url
